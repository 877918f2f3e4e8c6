"""Progress reporting of ingest: on a pipe only plain lines (a small input gets just the summary),
never escape codes; on a terminal a bar with a percentage and a rate."""
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
import unittest

import hl


class ProgressTest(hl.HomeCase):
    def test_small_ingest_on_a_pipe_prints_only_the_summary(self):
        m = hl.write_csv(self.h.path('nho.csv'), ['fonds_code', 'dossier_code', 'doc_ordinal',
                                                  'subject'],
                         [['QN', 'HS-01', str(i), f'Công văn số {i} về việc tiếp dân']
                          for i in range(1, 6)])
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, '', r)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 1, r)
        self.assertEqual(lines[0], 'ingest: 5 rows: 5 new, 0 updated, 0 unchanged, 0 rejected; '
                                   '0 files (0 new blobs); 5 indexed')

    def test_terminal_gets_a_bar_with_rate(self):
        m = hl.corpus_manifest()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
        p = subprocess.Popen([hl.BIN, '--home', self.h.home, 'ingest', m],
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        buf = b''
        deadline = time.time() + hl.TIMEOUT
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                buf += chunk
            elif p.poll() is not None:
                break
        os.close(master)
        rc = p.wait(timeout=60)
        text = buf.decode('utf-8', 'replace')
        self.assertEqual(rc, 0, text[-2000:])
        self.assertRegex(text, r'\d+(\.\d+)?\s*%', 'no percentage drawn')
        self.assertRegex(text, r'\d[\d.,]*\s*[^\s\d]*\s*/\s*s\b', 'no rate drawn')
        self.assertTrue('\r' in text.replace('\r\n', '\n') or hl.ANSI.search(text),
                        'the bar is not redrawn in place')
        plain = re.sub(r'\x1b\[[0-9;?]*[A-Za-z]', '', text)
        last = [l for l in re.split(r'[\r\n]+', plain) if l.strip()][-1].strip()
        self.assertTrue(last.startswith('ingest: 2131 rows: 2131 new,'), repr(last))


if __name__ == '__main__':
    unittest.main()
