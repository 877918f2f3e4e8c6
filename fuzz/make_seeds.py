#!/usr/bin/env python3
"""Seed corpora of fuzz_manifest, fuzz_query, fuzz_canonical and fuzz_units, made from the
project's real data (data/corpus: the ALQAC law articles; data/units: the 2025 reform's units)
and the shapes the tests use (tests/e2e/test_ingest.py, test_units.py, docs/exchange.md). Small
on purpose: a seed shows the fuzzer each structure once; the fuzzer does the rest.

usage: fuzz/make_seeds.py [TARGET ...]   (default: all four; writes fuzz/corpus/<target>/)
Files named crash-* and regress-* in those folders are inputs the fuzzer found (kept as they
are; this script writes only the seeds it names and never deletes a file).
"""
import csv
import io
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, 'fuzz', 'corpus')
DATA = os.path.join(ROOT, 'data')
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import make_demo_manifest as demo  # noqa: E402


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def to_csv(header, rows, bom=False, crlf=True):
    out = io.StringIO()
    w = csv.writer(out, lineterminator='\r\n' if crlf else '\n')
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return ('\ufeff' if bom else '') + out.getvalue()


def articles(n_per_law=1, text_max=300):
    """A few real articles of different laws, their text cut short."""
    seen = {}
    out = []
    for a in demo.articles(os.path.join(DATA, 'corpus', 'alqac2023_law_articles.jsonl')):
        if seen.get(a['law_title'], 0) >= n_per_law:
            continue
        seen[a['law_title']] = seen.get(a['law_title'], 0) + 1
        a = dict(a)
        a['text'] = a['text'][:text_max]
        out.append(a)
    return out


# ---- manifest ----

def manifest():
    arts = articles()
    rows = demo.manifest_rows(arts[:6])
    # the demo manifest's own columns (English keys), as make demo writes it
    write('manifest', 'demo_keys.csv',
          to_csv(demo.COLUMNS, [[r[c] for c in demo.COLUMNS] for r in rows]))
    # Vietnamese headers (any case, tones optional), BOM, LF, generated and given ids
    vi = ['MÃ PHÔNG', 'Ma ho so', 'Số thứ tự văn bản', 'Mã định danh văn bản',
          'Trích yếu nội dung', 'Ngày tháng năm văn bản', 'Tên loại văn bản', 'Cơ quan ban hành',
          'Chế độ sử dụng', 'Mức độ tin cậy', 'Thời hạn bảo quản', 'Số lượng trang', 'Từ khóa',
          'Tình trạng vật lý', 'Ghi chú', 'Tệp', 'Nội dung']
    vrows = [
        ['UBND-HB', 'HB-1987-04', '7', '', 'Quyết định về việc thành lập thị trấn Trới',
         '12/05/1987', 'Quyết định', 'Ủy ban nhân dân huyện Hoành Bồ', 'công khai', 'bản chính',
         'vĩnh viễn', '2', 'thị trấn; địa giới', 'Giấy ố vàng', '', 'scans/a1.png;scans/a2.png',
         'Thành lập thị trấn Trới.'],
        ['UBND-HB', 'HB-1987-04', '8', 'HB-1987-04-008', 'Tờ trình xin thành lập xã mới', '1987',
         'Tờ trình', 'Ủy ban nhân dân huyện Hoành Bồ', 'nội bộ', 'bản sao', '50 năm', '', '', '',
         'Bản sao', '', 'Đề nghị thành lập xã.'],
        ['QN', 'HS-01', '3', '', 'Công văn gửi Sở Nội vụ', '2024-12-31', 'Công văn',
         'UBND phường Hà Tu', 'hạn chế', 'bản số hóa', '70', '9', '', '', '', 'scans/c1.pdf',
         ''],
    ]
    write('manifest', 'vietnamese_headers.csv', to_csv(vi, vrows, bom=True, crlf=False))
    # every rejection reason of tests/e2e/test_ingest.py, one a row
    cols = ['doc_id', 'fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date',
            'access_level', 'confidence', 'retention', 'page_count', 'files', 'text']
    base = {'fonds_code': 'QN', 'dossier_code': 'HS-03', 'doc_ordinal': '1',
            'subject': 'Văn bản thử', 'issued_date': '01/07/2025', 'access_level': 'public',
            'confidence': 'original', 'retention': 'permanent', 'text': 'Nội dung văn bản.'}
    bad = [dict(fonds_code=''), dict(dossier_code=''), dict(doc_ordinal=''), dict(subject=''),
           dict(issued_date='31/02/2020'), dict(issued_date='2020-13-01'),
           dict(issued_date='hôm qua'), dict(access_level='mọi người'), dict(doc_ordinal='abc'),
           dict(doc_ordinal='0'), dict(doc_ordinal='-2'), dict(retention='mãi mãi'),
           dict(retention='12.5'), dict(confidence='bản nháp'), dict(page_count='một'),
           dict(issued_date='29/02/2024'), dict(issued_date='29/02/2023'),
           dict(issued_date='00/01/2020'), dict(issued_date='7.3.2019'),
           dict(issued_date='2019-3'), dict(retention='70 years'), dict(access_level='mật'),
           dict(access_level='Hạn chế'), dict(doc_ordinal='99999999999999999999'),
           dict(files='../etc/passwd;/abs.png')]
    brows = []
    for i, b in enumerate(bad):
        r = dict(base, doc_ordinal=str(i + 1))
        r.update(b)
        brows.append([r.get(c, '') for c in cols])
    write('manifest', 'bad_values.csv', to_csv(cols, brows))
    # a rejects file as the ingest writes it, to be fixed and ingested again
    rej = cols + ['_line', '_column', '_reason']
    write('manifest', 'rejects_file.csv', to_csv(rej, [
        brows[4] + ['6', 'issued_date', 'bad date "31/02/2020" (expected dd/mm/yyyy, '
                    'yyyy-mm-dd, mm/yyyy or yyyy)'],
        brows[8] + ['10', 'doc_ordinal', '"abc" is not a positive whole number'],
    ]))
    # headers the ingest refuses: unknown, duplicate, missing required
    write('manifest', 'header_unknown.csv',
          'fonds_code,dossier_code,doc_ordinal,subject,ngay ky\r\nQN,HS-1,1,Văn bản,2020\r\n')
    write('manifest', 'header_duplicate.csv',
          'Mã phông,fonds_code,dossier_code,doc_ordinal,subject\r\nQN,QN,HS-1,1,Văn bản\r\n')
    write('manifest', 'header_missing.csv', 'fonds_code,dossier_code,subject\r\nQN,HS-1,A\r\n')
    # rows of other lengths than the header, quoted line breaks, blank lines
    write('manifest', 'ragged_rows.csv',
          'fonds_code,dossier_code,doc_ordinal,subject,notes,text\r\n'
          'QN,HS-1,1,"Quyết định\r\nvề việc",ghi chú,"Điều 1.\nĐiều 2."\r\n'
          '\r\n'
          'QN,HS-1,2,Tờ trình,,,thừa\r\n'
          ' , ,\t,\r\n')


# ---- query ----

QUERIES = [
    'dat dai', 'đất đai', 'quyen va nghia vu cua cong dan', '"giao đất" -thue',
    'type:"Điều luật" year:2019 "dat dai" -thue', 'fonds:001 type:quyet_dinh',
    'year:2015..2019 issuer:"ha long" quy*', '12/2019/QH14', 'QĐ-UBND ngày 05/09/2025',
    'unit:06652 dat dai', 'unit:0 hồ sơ', 'unit:9999 hồ sơ', '-hộ hồ sơ', '-"a phrase" -quy* -type:x',
    'Hòa hoà HÒA ho\u0300a', 'year:2019..2015', 'year:19', 'fonds: type:', '"unclosed phrase',
    '–  ( )', 'hôn nhân và gia đình "kết hôn" -ly', 'trong tai trong tai thuong mai',
    'Nghị định 30/2020/NĐ-CP về công tác văn thư', 'an ninh mạng*', 'issuer:"Quốc hội" year:2018',
]


def query():
    for i, q in enumerate(QUERIES):
        write('query', f'q{i:02d}.txt', q)
    # real subjects of the corpus, typed as a user would search them
    for i, a in enumerate(articles()[:5]):
        write('query', f'subject{i}.txt', a['article_title'][:200])


# ---- canonical ----

def canonical():
    arts = articles()
    doc = {k: v for k, v in demo.manifest_rows(arts[:1])[0].items()}
    doc['files'] = [{'name': 'scans/a1.png', 'sha256': 'ab' * 32, 'size': 123456}]
    doc['version'] = 2
    env = {
        'v': 1, 'id': '0190f3c2-7b1e-7cc2-9a51-3c5f0e1d2a77', 'type': 'document',
        'from': '22', 'to': '06652', 'seq': 42, 'sent_at': '2025-09-05T08:30:00.000Z',
        'body': {'documents': [doc]},
        'attachments': [{'sha256': 'cd' * 32, 'size': 2048, 'name': 'scans/a1.png'}],
    }
    write('canonical', 'envelope.json', json.dumps(env, ensure_ascii=False, indent=2))
    write('canonical', 'envelope_escaped.json', json.dumps(env, ensure_ascii=True))
    directory = {'version': 3, 'hub': '22', 'nodes': [
        {'unit': '22', 'url': 'http://127.0.0.1:8080', 'public_key': 'A' * 43 + '=',
         'may_send': '*', 'may_receive': 'document,report', 'restricted': 1},
        {'unit': '06652', 'url': 'http://10.0.0.2:8080', 'public_key': 'B' * 43 + '=',
         'may_send': 'report', 'may_receive': 'document', 'restricted': 0, 'revoked': True}]}
    write('canonical', 'directory.json', json.dumps(directory, ensure_ascii=False))
    # a feed entry: units rows, as the hub publishes them
    rows = []
    with open(os.path.join(DATA, 'units', 'quangninh_units_2025.csv'), encoding='utf-8') as f:
        for i, r in enumerate(csv.DictReader(f)):
            if i >= 4:
                break
            rows.append({k: r[k] for k in ('code', 'name', 'full_name', 'type', 'parent_code')})
    write('canonical', 'feed_units.json',
          json.dumps({'feed': 'units', 'seq': 1, 'rows': rows, 'null': None, 'ok': False},
                     ensure_ascii=False))
    # NFD keys and values (NFC'd, then sorted), keys that collide once in NFC, escapes
    write('canonical', 'nfd_keys.json',
          '{"Ho\u0300a": "thu\u0309y", "Hòa": 1}')
    write('canonical', 'nfd_distinct.json',
          '{"đất": "đai", "da\u0302\u0301t": [1, -2, 9007199254740991], "\\u0000": 0}')
    write('canonical', 'controls.json',
          '{"a": "tab\\there\\nnew line \\u001f \\u007f \\" \\\\ \\/ \\ud83d\\ude00"}')
    write('canonical', 'numbers.json', '[0, -0, 1e3, 1.5, 9007199254740992, -9007199254740991]')
    write('canonical', 'deep.json', '[' * 33 + ']' * 33)
    write('canonical', 'dup_keys.json', '{"a": 1, "a": 2}')


# ---- units ----

def rows_of(name, keep):
    with open(os.path.join(DATA, 'units', name), encoding='utf-8') as f:
        lines = f.read().splitlines()
    return [lines[0]] + [l for l in lines[1:] if keep(l)]


def units():
    events = rows_of('events.csv', lambda l: True)
    # Thành phố Hạ Long's wards before, two new wards after, and their mapping rows
    old = rows_of('quangninh_units_pre2025.csv',
                  lambda l: l.split(',')[0] in ('06649', '06652', '06658', '06664'))
    new = rows_of('quangninh_units_2025.csv',
                  lambda l: l.split(',')[0] in ('22', '06652', '06658'))
    qmap = rows_of('quangninh_mapping_old_to_new.csv',
                   lambda l: l.split(',')[0] in ('06649', '06652', '06658', '06664'))
    prov = rows_of('vn_provinces_34.csv', lambda l: l.split(',')[0] in ('01', '22'))
    com = rows_of('vn_communes_3321.csv', lambda l: l.split(',')[0] in ('00004', '00008'))
    nat = rows_of('vn_mapping_old_to_new_all.csv',
                  lambda l: l.split(',')[0] in ('00004', '00013'))
    # the national mapping gives the old units above the communes (province 22 before the reform)
    qnat = rows_of('vn_mapping_old_to_new_all.csv',
                   lambda l: l.split(',')[0] in ('06649', '06652', '06658', '06664'))

    def sections(**files):
        return ''.join(f'@@ {k.replace("_csv", ".csv")}\n' + '\n'.join(v) + '\n'
                       for k, v in files.items())
    write('units', 'quang_ninh_ha_long.txt',
          sections(events_csv=events, quangninh_units_2025_csv=new,
                   quangninh_units_pre2025_csv=old, vn_mapping_old_to_new_all_csv=qnat,
                   quangninh_mapping_old_to_new_csv=qmap))
    write('units', 'national_ha_noi.txt',
          sections(events_csv=events, vn_provinces_34_csv=prov, vn_communes_3321_csv=com,
                   vn_mapping_old_to_new_all_csv=nat))
    # a change set of tests/e2e/test_units.py's kind: a rename and an abolition after the
    # reform; two codes that swap (allowed: codes may loop, versions may not); and refusals: an
    # unknown parent, a bad date, an unknown event kind; an events file with a header only
    later = events + [
        'qn-2027-rename,2027-01-01,Nghị quyết 1/2027/UBTVQH16,renamed,06652,'
        'Phường Hà Tu → Phường Hà Tu Mới',
        'qn-2028-abolish,2028-01-01,Nghị quyết 2/2028/UBTVQH16,abolished,06658,']
    write('units', 'change_set.txt',
          sections(events_csv=later, quangninh_units_2025_csv=new,
                   quangninh_units_pre2025_csv=old, vn_mapping_old_to_new_all_csv=qnat,
                   quangninh_mapping_old_to_new_csv=qmap))
    bad_parent = [new[0], new[1], new[2].replace(',22,', ',99,')]
    write('units', 'bad_parent.txt',
          sections(events_csv=events, quangninh_units_2025_csv=bad_parent))
    write('units', 'bad_date.txt',
          sections(events_csv=[events[0], events[1].replace('2025-07-01', '31/02/2025')]))
    cyc = qmap[:1] + ['06652,Phường Hà Phong,Thành phố Hạ Long,193,22,06658,Phường Cao Xanh,'
                      'Nhập toàn bộ',
                      '06658,Phường Cao Xanh,Thành phố Hạ Long,193,22,06652,Phường Hà Tu,'
                      'Nhập toàn bộ']
    write('units', 'code_loop.txt',
          sections(events_csv=events, quangninh_units_2025_csv=new,
                   quangninh_units_pre2025_csv=old, vn_mapping_old_to_new_all_csv=qnat,
                   quangninh_mapping_old_to_new_csv=cyc))
    write('units', 'unknown_kind.txt',
          sections(events_csv=events + ['x-1,2026-01-01,,merged,22,?']))
    write('units', 'events_only_header.txt', 'event_id,effective_date,legal_basis,kind\n')


TARGETS = {'manifest': manifest, 'query': query, 'canonical': canonical, 'units': units}


def main(argv):
    names = argv[1:] or list(TARGETS)
    for n in names:
        if n not in TARGETS:
            sys.stderr.write(f'make_seeds: unknown target {n} ({", ".join(TARGETS)})\n')
            return 2
        TARGETS[n]()
        print(f'fuzz/corpus/{n}/: {len(os.listdir(os.path.join(CORPUS, n)))} files')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
