"""What the plans tests share: a data directory with the units and the agencies register (the
province 22 for names of communes), plans imported from CSV texts (test data, labelled so by each
test) and from files, users with their agencies and API tokens, and a real `halong serve` on a
fixed day. A test class names them in FILES, PATHS, USERS, TODAY and SERVE_ARGS; the steps of a
class run in order."""
import unittest

import hl
import hlserve
from hlserve import Server


class PlansCase(unittest.TestCase):
    TODAY = '2025-07-10'
    FILES = ()       # (CSV text, import args…), imported in order
    PATHS = ()       # (a file's path, import args…), imported after FILES
    USERS = {}       # name: (role, unit, agency code or None)
    SERVE_ARGS = ()  # more arguments of `halong serve`

    @classmethod
    def run_ok(cls, *args, **kw):
        r = cls.h.run(*args, **kw)
        assert r.rc == 0, r
        return r

    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        for args in (('units', 'load', '--quiet'), ('agency', 'load'),
                     ('plan', 'setting', 'province', '22')):
            cls.run_ok(*args)
        for i, (text, *args) in enumerate(cls.FILES):
            path = cls.h.path(f'import-{i}.csv')
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            cls.run_ok('plan', 'import', path, *args)
        for path, *args in cls.PATHS:
            cls.run_ok('plan', 'import', path, *args)
        cls.tokens = {}
        for name, (role, unit, agency) in cls.USERS.items():
            cls.run_ok('user', 'add', name, '--role', role, '--unit', unit,
                       input=(hlserve.PASSWORD + '\n').encode())
            if agency:
                cls.run_ok('agency', 'assign', name, agency)
            r = cls.run_ok('user', 'token', name)
            cls.tokens[name] = r.out.strip().splitlines()[-1].strip()
        cls.srv = Server(cls.h.home, args=cls.SERVE_ARGS,
                         env={'HALONG_TODAY': cls.TODAY}).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.h.cleanup()
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    def as_(self, who):
        """A client as user `who`, or anonymous."""
        return self.srv.client(None if who == 'anonymous' else self.tokens[who])

    def assertError(self, r, status, says):
        """A JSON error of that status whose message holds `says`."""
        self.assertEqual(r.status, status, r)
        self.assertIn(says, r.json()['error']['message'], r)


def plan_files(pid, access, title, tasks):
    """A plans file of one plan (compiled by SO-KHCN) and its task appendix, for FILES."""
    return ((f'plan_id,title,period,access,compiler\n{pid},{title},2025,{access},SO-KHCN\n',),
            ('STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n' + tasks, '--plan', pid))
