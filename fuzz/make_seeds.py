#!/usr/bin/env python3
"""Seed corpora of fuzz_manifest, fuzz_query, fuzz_canonical, fuzz_units, fuzz_envelope,
fuzz_directory, fuzz_feed_entry, fuzz_feed_page and fuzz_request, made from the project's real
data (data/corpus: the ALQAC law articles; data/units: the 2025 reform's units) and the shapes the
tests use (tests/e2e/test_ingest.py, test_units.py, test_exchange.py, test_feed.py,
test_api_hostile.py, docs/exchange.md). Small on purpose: a seed shows the fuzzer each structure
once; the fuzzer does the rest. Envelopes, directories, feed entries and page heads are signed
with the fuzz targets' fixed key (fuzz/fuzz_util.h, FUZZ_KEY_SEED), as the hub and the nodes sign
them (Ed25519 over a context line and the canonical bytes; Python's `cryptography`, which the e2e
tests use too).

usage: fuzz/make_seeds.py [TARGET ...]   (default: all; writes fuzz/corpus/<target>/)
Files named crash-* and regress-* in those folders are inputs the fuzzer found (kept as they
are; this script writes only the seeds it names and never deletes a file).
"""
import base64
import csv
import hashlib
import io
import json
import os
import sys
import unicodedata

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


# ---- signed objects of the exchange and the feed ----

# The fuzz targets' key (fuzz/fuzz_util.h): its 32-byte seed, NUL included.
FUZZ_KEY_SEED = b'halong fuzz key, not a secret!!\0'


def ed25519(seed):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(seed):
    from cryptography.hazmat.primitives import serialization
    raw = ed25519(seed).public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def canon(v):
    """halong's canonical encoding for ASCII keys and NFC text (src/lib/exchange/README.md):
    Python's sorted, compact JSON, as tests/e2e/hlnodes.py signs."""
    return json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def sign(ctx, v, seed=FUZZ_KEY_SEED):
    return base64.b64encode(ed25519(seed).sign(ctx + canon(v).encode('utf-8'))).decode()


def sha(text):
    return hashlib.sha256(text.encode('utf-8') if isinstance(text, str) else text).hexdigest()


# ---- envelope ----

T0 = 1764307845123  # 2025-11-28T05:30:45.123Z


def document(i, access, **more):
    a = articles()[i]
    d = {'doc_id': f'QN-HS-2025-{i + 1:03d}', 'fonds_code': 'UBND-QN', 'dossier_code': 'HS-2025-01',
         'ordinal': i + 1, 'subject': a['article_title'][:120], 'issued_date': '05/09/2025',
         'doc_type': 'Quyết định', 'issuer': 'Ủy ban nhân dân tỉnh Quảng Ninh',
         'access_level': access, 'confidence': 'original', 'retention': 'permanent',
         'page_count': 1, 'text': a['text'][:200],
         'files': [{'name': f'scans/{i + 1}.png', 'sha256': sha(f'page {i}'), 'size': 1000 + i}]}
    d.update(more)
    return d


def envelope(type_, payload, access='internal', attachments=(), seq=7, frm='22', to='06652',
             uid='0190f3c2-7b1e-7cc2-9a51-3c5f0e1d2a77'):
    env = {'v': 1, 'id': uid, 'from': frm, 'to': to, 'type': type_, 'access': access,
           'created_ms': T0, 'seq': seq, 'payload': payload, 'attachments': list(attachments),
           'sent_ms': T0 + 60000}
    env['sig'] = sign(b'halong-envelope-v1\n', env)
    return env


def envelope_seeds():
    docs = [document(0, 'internal'), document(1, 'public')]
    att = [{'name': f['name'], 'sha256': f['sha256'], 'size': f['size']}
           for d in docs for f in d['files']]
    env = envelope('document', {'documents': docs}, 'internal', att)
    write('envelope', 'document_two.json', canon(env))
    # as a sender might lay it out (indented, keys in its own order, escapes): the same message
    write('envelope', 'document_indented.json', json.dumps(env, indent=2, ensure_ascii=True))
    write('envelope', 'report.json', canon(envelope(
        'report', {'period': '2025-Q3', 'unit': '06652',
                   'text': 'Báo cáo tiến độ số hóa hồ sơ lưu trữ quý III năm 2025'},
        'public', seq=1, frm='06652', to='22')))
    write('envelope', 'restricted_document.json', canon(envelope(
        'document', {'documents': [document(2, 'restricted')]}, 'restricted')))
    write('envelope', 'feed_units.json', canon(envelope(
        'feed.units', {'feed': 'units', 'seq': 3}, 'public', seq=12)))
    # refusals of the inbox's checks 1-2 and 8 (tests/e2e/test_exchange.py)
    write('envelope', 'refused_secret_document.json', canon(envelope(
        'document', {'documents': [document(3, 'secret')]}, 'restricted')))
    write('envelope', 'refused_above_envelope.json', canon(envelope(
        'document', {'documents': [document(0, 'public'), document(4, 'restricted')]}, 'public')))
    write('envelope', 'refused_level_vietnamese.json', canon(envelope(
        'document', {'documents': [document(0, 'công khai')]}, 'internal')))
    unsealed = {k: v for k, v in env.items() if k not in ('sig', 'sent_ms')}
    write('envelope', 'refused_unsealed.json', canon(unsealed))
    write('envelope', 'refused_extra_field.json', canon(dict(env, note='x')))
    write('envelope', 'refused_version_2.json', canon(dict(env, v=2)))
    write('envelope', 'refused_attachment_2gib.json', canon(envelope(
        'report', {}, 'public', [{'name': 'big.bin', 'sha256': 'ab' * 32, 'size': (2 << 30) + 1}])))
    write('envelope', 'refused_float.json', canon(dict(env, created_ms=1.5)))
    # what env_layout cuts from the canonical text: nested sent_ms and seq, names with quotes
    write('envelope', 'layout_nested.json', canon(envelope(
        'report', {'sent_ms': 1, 'seq': 2, 'x': {'payload': {'sent_ms': 3}}, 'q': ',"seq":'},
        'public', [{'name': 'a",\\"payload\\":{"x', 'sha256': 'cd' * 32, 'size': 0}])))
    # NFD text and keys: the signature covers their NFC form
    nfd = unicodedata.normalize('NFD', 'Thành phố Hạ Long, đặc khu Vân Đồn')
    env = envelope('report', {'text': unicodedata.normalize('NFC', nfd)}, 'public')
    raw = canon(env).replace(unicodedata.normalize('NFC', nfd), nfd)
    write('envelope', 'nfd_text.json', raw)


# ---- directory ----

NODES = [('22', 'http://127.0.0.1:8080', 'document,feed.units', 'document,report', True),
         ('06652', 'http://10.0.0.2:8080', 'document,report', 'document,feed.units', False),
         ('06661', 'https://cao-xanh.quangninh.gov.vn', 'document,report', 'document,feed.units',
          False)]


def node(unit, url, send, recv, restricted, revoked=False):
    return {'unit': unit, 'url': url, 'public_key': public_key(sha(unit).encode()[:32]),
            'may_send': send.split(','), 'may_receive': recv.split(','),
            'restricted': restricted, 'revoked': revoked}


def directory(nodes, version=3, **more):
    d = {'version': version, 'issued_ms': T0, 'hub': '22', 'nodes': nodes}
    d.update(more)
    return canon({'directory': d, 'signature': sign(b'halong-directory-v1\n', d)})


def directory_seeds():
    nodes = [node(*n) for n in NODES]
    write('directory', 'hub_and_two.json', directory(nodes))
    write('directory', 'revoked_and_any.json', directory(
        [nodes[0], dict(nodes[1], revoked=True), dict(nodes[2], may_send=['*'], may_receive=[])],
        version=4))
    write('directory', 'empty.json', directory([], version=1))
    write('directory', 'indented.json', json.dumps(json.loads(directory(nodes)), indent=1))
    write('directory', 'refused_bad_url.json', directory([dict(nodes[1], url='ftp://x/')]))
    write('directory', 'refused_bad_key.json', directory([dict(nodes[1], public_key='AAAA')]))
    write('directory', 'refused_bad_type.json', directory([dict(nodes[1], may_send=['Báo cáo'])]))
    write('directory', 'refused_flag_int.json', directory([dict(nodes[1], restricted=1)]))
    write('directory', 'refused_no_signature.json',
          canon({'directory': json.loads(directory(nodes))['directory']}))
    write('directory', 'refused_version_float.json', directory(nodes, version=1.5))
    write('directory', 'regress_unit_listed_twice.json', directory(
        [nodes[1], dict(nodes[1], revoked=True)], version=5))


# ---- feed ----

def units_file(name, keep):
    with open(os.path.join(DATA, 'units', name), encoding='utf-8') as f:
        lines = f.read().splitlines()
    return '\n'.join([lines[0]] + [l for l in lines[1:] if keep(l)]) + '\n'


def feed_entry(seq, files, prev='', created=T0):
    listed = [{'name': n, 'sha256': sha(t), 'size': len(t.encode('utf-8'))}
              for n, t in files.items()]
    entry = {'created_ms': created, 'feed': 'units', 'files': listed, 'hub': '22', 'prev': prev,
             'seq': seq, 'v': 1}
    return {'entry': entry, 'sha256': sha(canon(entry)),
            'sig': sign(b'halong-feed-v1\n', entry), 'data': dict(files)}


def feed_entries():
    events = units_file('events.csv', lambda l: l.startswith(('vn-2025', 'qn-2025')))
    new = units_file('quangninh_units_2025.csv', lambda l: l.split(',')[0] in ('22', '06652'))
    qmap = units_file('quangninh_mapping_old_to_new.csv',
                      lambda l: l.split(',')[0] in ('06652', '06664'))
    e1 = feed_entry(1, {'events.csv': events, 'quangninh_units_2025.csv': new,
                        'quangninh_mapping_old_to_new.csv': qmap})
    later = events + ('qn-2027-rename,2027-01-01,Nghị quyết 1/2027/UBTVQH16,renamed,06652,'
                      'Phường Hà Tu → Phường Hà Tu Mới\n')
    e2 = feed_entry(2, {'events.csv': later}, prev=e1['sha256'], created=T0 + 86400000)
    return e1, e2


def feed_entry_seeds():
    e1, e2 = feed_entries()
    write('feed_entry', 'first.json', json.dumps(e1, ensure_ascii=False))
    write('feed_entry', 'change_set.json', json.dumps(e2, ensure_ascii=False, indent=1))
    write('feed_entry', 'refused_hash.json', json.dumps(dict(e2, sha256='0' * 64)))
    altered = json.loads(json.dumps(e2))
    altered['data']['events.csv'] += 'x'
    write('feed_entry', 'refused_file_altered.json', json.dumps(altered, ensure_ascii=False))
    extra = json.loads(json.dumps(e2))
    extra['data']['vn_provinces_34.csv'] = 'code,name\n'
    write('feed_entry', 'refused_file_not_listed.json', json.dumps(extra, ensure_ascii=False))
    other = json.loads(json.dumps(e2))
    other['entry']['feed'] = 'plans'
    other['sha256'] = sha(canon(other['entry']))
    write('feed_entry', 'refused_other_feed.json', json.dumps(other, ensure_ascii=False))
    # a file listed twice, the second name's bytes carried under a name not listed
    ev = e2['data']['events.csv']
    twice = feed_entry(2, {'events.csv': ev})
    twice['entry']['files'].append(dict(twice['entry']['files'][0]))
    twice['data']['quangninh_units_2025.csv'] = 'code,name\n'
    twice['sha256'] = sha(canon(twice['entry']))
    twice['sig'] = sign(b'halong-feed-v1\n', twice['entry'])
    write('feed_entry', 'regress_file_listed_twice.json', json.dumps(twice, ensure_ascii=False))


def page(entries, last, at=T0, sign_it=True):
    head = {'at_ms': at, 'feed': 'units', 'hub': '22', 'last_seq': last}
    p = {'feed': 'units', 'last_seq': last}
    if sign_it:
        p['head'] = head
        p['head_sig'] = sign(b'halong-feed-head-v1\n', head)
    p['entries'] = entries
    return json.dumps(p, ensure_ascii=False)


def feed_page_seeds():
    e1, e2 = feed_entries()
    write('feed_page', 'two_entries.json', page([e1, e2], 2))
    write('feed_page', 'caught_up.json', page([], 2))
    write('feed_page', 'refused_no_head.json', page([e2], 2, sign_it=False))
    write('feed_page', 'refused_count_differs.json',
          page([e2], 2).replace('"last_seq": 2}', '"last_seq": 3}', 1))
    write('feed_page', 'refused_entry_altered.json',
          page([dict(e2, sha256='f' * 64)], 2))


# ---- request ----

def request_seeds():
    crlf = '\r\n'

    def req(line, *headers, end=True):
        return crlf.join([line] + list(headers)) + (crlf + crlf if end else crlf)
    w = lambda name, text: write('request', name, text)  # noqa: E731
    w('get_search.txt', req('GET /api/v1/search?q=%C4%91%E1%BA%A5t+%C4%91ai&year=2019&limit=20 '
                            'HTTP/1.1', 'Host: 127.0.0.1:8080', 'Accept: application/json',
                            'Accept-Encoding: gzip, deflate',
                            'Cookie: halong_session=abc; theme=dark'))
    w('post_inbox.txt', req('POST /api/v1/exchange/inbox HTTP/1.1', 'Host: hub',
                            'Content-Type: application/json', 'Content-Length: 1234',
                            'X-Halong-From: 06652'))
    w('put_chunk.txt', req('PUT /api/v1/exchange/attachments/' + 'ab' * 32 +
                           '?offset=4194304&size=9000000 HTTP/1.1', 'Host: hub',
                           'Transfer-Encoding: chunked', 'X-Halong-Time: 1764307845123'))
    w('static_lf_only.txt', 'GET /app/index.html HTTP/1.0\nUser-Agent: curl/7.88\n\n')
    w('document_vietnamese.txt', req('GET /api/v1/documents/QN-HS%2D1987/files/B%E1%BA%A3n%20'
                                     'g%E1%BB%91c.pdf HTTP/1.1', 'Host: x'))
    # what tests/e2e/test_api_hostile.py and test_api_http.py send
    w('dotdot.txt', req('GET /app/../../etc/passwd HTTP/1.1', 'Host: x'))
    w('dotdot_encoded.txt', req('GET /app/%2e%2E/%2E./halong.db HTTP/1.1', 'Host: x'))
    w('nul_in_path.txt', req('GET /api/v1/documents/ID%00.evil HTTP/1.1', 'Host: x'))
    w('nul_in_header.txt', req('GET / HTTP/1.1', 'Host: x', 'X-A: ab\0cd'))
    w('nul_line.txt', req('GET / HTTP/1.1', 'Host: x', '\0', 'GET /admin HTTP/1.1'))
    w('nul_in_target.txt', req('GET /a\0/b HTTP/1.1', 'Host: x'))
    w('smuggle_space_colon.txt', req('POST / HTTP/1.1', 'Host: x', 'Content-Length : 5'))
    w('smuggle_two_lengths.txt', req('POST / HTTP/1.1', 'Host: x', 'Content-Length: 5',
                                     'Content-Length: 5'))
    w('smuggle_te_cl.txt', req('POST / HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked',
                               'Content-Length: 5'))
    w('smuggle_te_list.txt', req('POST / HTTP/1.1', 'Host: x',
                                 'Transfer-Encoding: gzip, chunked'))
    w('te_http10.txt', req('POST / HTTP/1.0', 'Transfer-Encoding: chunked'))
    w('two_hosts.txt', req('GET / HTTP/1.1', 'Host: a', 'host: b'))
    w('no_host.txt', req('GET / HTTP/1.1', 'Accept: */*'))
    w('obs_fold.txt', req('GET / HTTP/1.1', 'Host: x', 'X-A: a', ' continued'))
    w('control_in_value.txt', req('GET / HTTP/1.1', 'Host: x', 'X-A: a\x1bb\x7f'))
    w('huge_length.txt', req('POST / HTTP/1.1', 'Host: x',
                             'Content-Length: 99999999999999999999999'))
    w('many_args.txt', req('GET /api/v1/search?' + '&'.join(f'a{i}={i}' for i in range(70)) +
                           ' HTTP/1.1', 'Host: x'))
    w('bad_utf8_arg.txt', req('GET /api/v1/search?q=%C3%28&x=%ED%A0%80 HTTP/1.1', 'Host: x'))
    w('many_segments.txt', req('GET /' + '/'.join('s' for _ in range(20)) + ' HTTP/1.1',
                               'Host: x'))
    w('spaces_before_target.txt', req('GET   /x HTTP/1.1', 'Host: x'))
    w('many_headers.txt', req('GET / HTTP/1.1', 'Host: x',
                              *[f'X-H{i}: {i}' for i in range(101)]))


TARGETS = {'manifest': manifest, 'query': query, 'canonical': canonical, 'units': units,
           'envelope': envelope_seeds, 'directory': directory_seeds,
           'feed_entry': feed_entry_seeds, 'feed_page': feed_page_seeds,
           'request': request_seeds}


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
