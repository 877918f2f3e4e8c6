"""Publishing the shared database (issue 14) through the real binary and the real server, checked
by outside validators: the real sector tables of ../shared/data/sector exported as Frictionless
Data Packages, validated against the official JSON Schema profiles (tests/schemas: Data Package,
Data Resource, Table Schema and Table Dialect 2.0, Tabular Data Package and Resource 1.0) by
Debian's python3-jsonschema run by /usr/bin/python3, loaded into a fresh node through
`dataset create --datapackage` and exported again: the same CSV bytes, the same rows, the same
schema. Hostile packages (a resource path "../x", "/etc/passwd", a link leading out, a URL, a
wrong hash, a huge or wrong declared size) each refused naming the field, nothing created.
DCAT-AP 3 JSON-LD of the catalogue and of a dataset, from the CLI and from `halong serve` without
an account: only public datasets, validated against the official DCAT-AP 3.0.1 SHACL shapes by
rdf-validate-shacl (npm, package-lock.json) through tests/schemas/shacl.mjs."""
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import unittest
import zipfile

import hl
import hlserve

DEBIAN_PY = '/usr/bin/python3'
SCHEMAS = os.path.join(hl.SRC, 'tests', 'schemas')
BASE = 'https://data.example.vn'
EU = 'http://publications.europa.eu/resource/authority/'

SECTOR = {'tourism.csv': 'tourism', 'state_budget.csv': 'taxation',
          'education.csv': 'education', 'health.csv': 'health',
          'agriculture_fisheries.csv': 'agriculture',
          'forest_environment.csv': 'environment'}
THEMES = {'tourism': ['ECON'], 'taxation': ['ECON', 'GOVE'], 'education': ['EDUC'],
          'health': ['HEAL'], 'agriculture': ['AGRI'], 'environment': ['ENVI']}


def shared_data():
    for c in [os.environ.get('HALONG_SHARED_DATA'),
              os.path.join(hl.SRC, '..', 'shared', 'data'),
              os.path.join(hl.SRC, '..', '..', 'shared', 'data'), '/work/shared/data']:
        if c and os.path.isfile(os.path.join(c, 'sector', 'tourism.csv')):
            return os.path.abspath(c)
    return None


DATA = shared_data()


def validate_datapackage(path):
    """The official profiles' verdict on a datapackage.json, by Debian's python3-jsonschema."""
    p = subprocess.run([DEBIAN_PY, '-W', 'ignore',
                        os.path.join(SCHEMAS, 'validate_datapackage.py'), path],
                       capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 1):
        raise AssertionError(f'the JSON Schema validator did not run: {p.stderr}')
    return json.loads(p.stdout)


def shacl(path):
    """The DCAT-AP 3.0.1 SHACL shapes' verdict (rdf-validate-shacl through shacl.mjs)."""
    if not os.path.isdir(os.path.join(hl.SRC, 'node_modules', 'rdf-validate-shacl')):
        raise AssertionError('node_modules lacks rdf-validate-shacl: run `make deps` '
                             '(scripts/npm.sh installs package-lock.json)')
    p = subprocess.run(['node', os.path.join(SCHEMAS, 'shacl.mjs'), path], capture_output=True,
                       text=True, timeout=180, cwd=hl.SRC)
    if p.returncode not in (0, 1):
        raise AssertionError(f'the SHACL validator did not run: {p.stderr}')
    return json.loads(p.stdout)


def read_csv(path):
    with open(path, encoding='utf-8', newline='') as f:
        return list(csv.reader(f))


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def graph_nodes(doc, type_):
    return [n for n in doc['@graph'] if n.get('@type') == type_]


@unittest.skipIf(DATA is None, 'the shared data (../shared/data) is not there')
@unittest.skipIf(not os.path.exists(DEBIAN_PY), 'Debian\'s /usr/bin/python3 is not there')
class PublishTest(hl.HomeCase):

    def ok(self, *args, rc=0, home=None):
        r = (home or self.h).run(*args)
        self.assertEqual(r.rc, rc, r)
        return r

    def json(self, *args, home=None):
        return json.loads(self.ok(*args, '--json', home=home).out)

    def make(self, ds, name, access='public', home=None, **extra):
        """Dataset `ds` from the real table `name`, loaded."""
        path = os.path.join(DATA, 'sector', name)
        args = ['dataset', 'create', ds, '--title',
                f'Số liệu ngành {SECTOR[name]} Quảng Ninh (báo chí)', '--from', path,
                '--sector', SECTOR[name], '--access', access, '--owner', '22',
                '--description', 'Số liệu báo chí đưa tin, giữ nguyên cách viết và nguồn.',
                '--keywords', f'Quảng Ninh,{SECTOR[name]}', '--licence', 'CC BY 4.0',
                '--frequency', 'hằng năm',
                '--provenance', 'Báo chí: ../shared/data/sector (SOURCES.md)']
        for k, v in extra.items():
            args += [f'--{k}', v]
        self.ok(*args, home=home)
        self.ok('dataset', 'load', ds, path, home=home)
        return path

    def setUp(self):
        super().setUp()
        self.ok('units', 'load', '--quiet')

    # ---- Data Package out, validated, in, out again ----

    def test_round_trip_every_sector_table(self):
        """Each real table: exported as a Data Package that the official profiles accept, with
        the dataset's metadata and the CSV's true hash and size; loaded into a fresh node
        through its datapackage.json; exported there again: the same CSV bytes, the same rows
        as the source, the same schema. Cells that look like formulas (= 57%, +2,4%) carry the
        lossless prefix in the package's CSV and come back as written."""
        other = hl.Home()
        self.addCleanup(other.cleanup)
        self.ok('units', 'load', '--quiet', home=other)
        for name in SECTOR:
            with self.subTest(table=name):
                ds = name[:-4].replace('_', '-')
                src = self.make(ds, name)
                out = self.h.path(f'{ds}-pkg')
                st = self.json('dataset', 'export', ds, '--format', 'datapackage', '-o', out)
                self.assertEqual(sorted(os.listdir(out)), sorted(['datapackage.json',
                                                                  f'{ds}.csv']))
                v = validate_datapackage(os.path.join(out, 'datapackage.json'))
                self.assertTrue(v['ok'], v['errors'])
                with open(os.path.join(out, 'datapackage.json'), encoding='utf-8') as f:
                    pkg = json.load(f)
                show = self.json('dataset', 'show', ds)
                res = pkg['resources'][0]
                csvpath = os.path.join(out, res['path'])
                self.assertEqual((pkg['profile'], pkg['name'], pkg['title'], res['profile'],
                                  res['format'], res['mediatype'], res['encoding']),
                                 ('tabular-data-package', ds, show['title'],
                                  'tabular-data-resource', 'csv', 'text/csv', 'utf-8'))
                self.assertEqual(pkg['keywords'], ['Quảng Ninh', SECTOR[name]])
                self.assertEqual(pkg['licenses'][0]['name'], 'CC-BY-4.0')
                self.assertEqual(pkg['sources'][0]['title'], show['provenance'])
                self.assertEqual((pkg['halong:owner'], pkg['halong:sector']),
                                 ('22', SECTOR[name]))
                self.assertEqual(res['hash'], 'sha256:' + sha256(csvpath))
                self.assertEqual(res['bytes'], os.path.getsize(csvpath))
                self.assertEqual((st['rows'], st['sha256']), (show['rows'], sha256(csvpath)))
                self.assertEqual(res['schema'], show['schema'])
                # the package's rows are the source's, text that could run as a formula
                # prefixed once (and only it)
                got, want = read_csv(csvpath), read_csv(src)
                self.assertEqual(got[0], want[0])
                self.assertEqual(len(got), len(want))
                schema = {f['name']: f['type'] for f in show['schema']['fields']}
                for grow, wrow in zip(got[1:], want[1:]):
                    for col, g, w in zip(want[0], grow, wrow):
                        if schema[col] != 'string':
                            continue
                        if w[:1] in ('=', '+', '-', '@'):
                            self.assertEqual(g, "'" + w, col)
                        else:
                            self.assertEqual(g, w, col)

                # a fresh node: created from the package, its data loaded
                r = other.run('dataset', 'create', f'{ds}-copy', '--datapackage',
                              os.path.join(out, 'datapackage.json'), '--access', 'public',
                              '--json')
                self.assertEqual(r.rc, 0, r)
                load = json.loads(r.out)
                self.assertEqual((load['rows'], load['added'], load['rejected']),
                                 (show['rows'], show['rows'], 0))
                copy = self.json('dataset', 'show', f'{ds}-copy', home=other)
                for k in ('title', 'description', 'owner', 'sector', 'keywords', 'licence',
                          'frequency', 'provenance', 'schema', 'rows'):
                    self.assertEqual(copy[k], show[k], k)
                self.assertEqual(copy['versions'][0]['source'], res['path'])
                out2 = other.path(f'{ds}-again')
                self.ok('dataset', 'export', f'{ds}-copy', '--format', 'datapackage', '-o',
                        out2, home=other)
                with open(os.path.join(out2, 'datapackage.json'), encoding='utf-8') as f:
                    pkg2 = json.load(f)
                self.assertEqual(pkg2['resources'][0]['schema'], res['schema'])
                with open(csvpath, 'rb') as a, \
                        open(os.path.join(out2, pkg2['resources'][0]['path']), 'rb') as b:
                    self.assertEqual(a.read(), b.read())
                # and the values as written, typed: the JSON exports of both nodes agree
                j1 = self.ok('dataset', 'export', ds, '--format', 'json').out
                j2 = self.ok('dataset', 'export', f'{ds}-copy', '--format', 'json',
                             home=other).out
                self.assertEqual(json.loads(j1), json.loads(j2))
                if name == 'agriculture_fisheries.csv':
                    notes = [row['note'] for row in json.loads(j2)]
                    self.assertIn('= 57% giá trị toàn ngành nông nghiệp', notes)

    def test_zip_and_refusals_of_the_output(self):
        """-o FILE.zip: one zip holding datapackage.json and the CSV, which validates and loads
        once unzipped (a zip itself is refused, not read);
        an output folder that is not empty is refused, and touched not."""
        self.make('health', 'health.csv')
        z = self.h.path('health.zip')
        self.ok('dataset', 'export', 'health', '--format', 'datapackage', '-o', z)
        with zipfile.ZipFile(z) as f:
            self.assertEqual(sorted(f.namelist()), ['datapackage.json', 'health.csv'])
            f.extractall(self.h.path('unzipped'))
        v = validate_datapackage(self.h.path('unzipped', 'datapackage.json'))
        self.assertTrue(v['ok'], v['errors'])
        self.assertFalse([n for n in os.listdir(self.h.tmp) if n.endswith('.part')])
        r = self.ok('dataset', 'create', 'health2', '--datapackage', z, rc=1)
        self.assertIn('a zipped package is not read: unzip it', r.err)
        self.ok('dataset', 'create', 'health2', '--datapackage', self.h.path('unzipped'))
        self.assertEqual(self.json('dataset', 'show', 'health2')['rows'],
                         self.json('dataset', 'show', 'health')['rows'])
        busy = self.h.path('busy')
        os.mkdir(busy)
        for name in ('keep.txt', 'datapackage.json', 'health.csv'):
            with open(os.path.join(busy, name), 'w') as f:
                f.write('mine')
        r = self.ok('dataset', 'export', 'health', '--format', 'datapackage', '-o', busy, rc=1)
        self.assertIn('not an empty folder', r.err)
        self.assertEqual(sorted(os.listdir(busy)), ['datapackage.json', 'health.csv', 'keep.txt'])
        for name in os.listdir(busy):
            with open(os.path.join(busy, name)) as f:
                self.assertEqual(f.read(), 'mine')
        r = self.ok('dataset', 'export', 'health', '--format', 'datapackage', rc=2)
        self.assertIn('-o DIR', r.err)

    def test_validators_can_fail(self):
        """The two validators say no to a broken document: a field of a type Table Schema does
        not have and an upper-case package name (JSON Schema); a dataset without its title
        (SHACL)."""
        self.make('tourism', 'tourism.csv')
        out = self.h.path('pkg')
        self.ok('dataset', 'export', 'tourism', '--format', 'datapackage', '-o', out)
        with open(os.path.join(out, 'datapackage.json'), encoding='utf-8') as f:
            pkg = json.load(f)
        pkg['name'] = 'Tourism'
        pkg['resources'][0]['schema']['fields'][0]['type'] = 'money'
        bad = self.h.path('bad.json')
        with open(bad, 'w', encoding='utf-8') as f:
            json.dump(pkg, f)
        v = validate_datapackage(bad)
        self.assertFalse(v['ok'])
        self.assertTrue(any("'Tourism' does not match" in e for e in v['errors']), v['errors'])
        self.assertTrue(any('fields/0' in e for e in v['errors']), v['errors'])

        doc = json.loads(self.ok('dataset', 'dcat', 'tourism', '--base', BASE).out)
        graph_nodes(doc, 'dcat:Dataset')[0].pop('dct:title')
        with open(bad, 'w', encoding='utf-8') as f:
            json.dump(doc, f)
        s = shacl(bad)
        self.assertFalse(s['conforms'])
        self.assertEqual([(x['path'], x['message']) for x in s['violations']],
                         [('http://purl.org/dc/terms/title', 'Less than 1 values')])

    # ---- hostile packages ----

    def hostile(self, change, field, words, rc=1):
        """A good package changed by `change(pkg, folder)`: refused naming `field` and with
        `words` in the message; no dataset made."""
        if self.h.run('dataset', 'show', 'tourism').rc != 0:
            self.make('tourism', 'tourism.csv')
        out = self.h.path('pkg')
        if not os.path.isdir(out):
            self.ok('dataset', 'export', 'tourism', '--format', 'datapackage', '-o', out)
        work = self.h.path('hostile')
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(out, work)
        with open(os.path.join(work, 'datapackage.json'), encoding='utf-8') as f:
            pkg = json.load(f)
        change(pkg, work)
        with open(os.path.join(work, 'datapackage.json'), 'w', encoding='utf-8') as f:
            json.dump(pkg, f, ensure_ascii=False)
        r = self.ok('dataset', 'create', 'evil', '--datapackage', work, rc=rc)
        self.assertIn(field, r.err)
        for w in words:
            self.assertIn(w, r.err)
        self.assertEqual(self.h.run('dataset', 'show', 'evil').rc, 1)
        self.assertNotIn('evil', [d['id'] for d in self.json('dataset', 'list')['datasets']])
        return r

    def test_hostile_paths(self):
        """A resource path that climbs out, is absolute, is a URL, or is a link leading out of
        the package's folder: refused naming resources[0].path before a byte is read."""
        outside = self.h.path('outside.csv')
        shutil.copy(os.path.join(DATA, 'sector', 'tourism.csv'), outside)

        def path_to(p):
            def f(pkg, work):
                pkg['resources'][0]['path'] = p
                pkg['resources'][0].pop('hash')
                pkg['resources'][0].pop('bytes')
            return f

        for p, words in [('../outside.csv', ['climbs out']),
                         ('/etc/passwd', ['absolute path']),
                         ('https://example.com/tourism.csv', ['is a URL']),
                         ('file:///etc/passwd', ['is a URL']),
                         ('sub/../../outside.csv', ['climbs out'])]:
            with self.subTest(path=p):
                self.hostile(path_to(p), 'resources[0].path', [p] + words)

        def link_out(pkg, work):
            os.symlink(outside, os.path.join(work, 'link.csv'))
            path_to('link.csv')(pkg, work)
        self.hostile(link_out, 'resources[0].path', ['link.csv'])

        def link_dir_out(pkg, work):
            os.symlink(self.h.tmp, os.path.join(work, 'up'))
            path_to('up/outside.csv')(pkg, work)
        self.hostile(link_dir_out, 'resources[0].path', ['up/outside.csv'])

    def test_hostile_sizes_and_hash(self):
        """A wrong hash, an MD5 hash, a declared size above the limit, a declared size that is
        not the file's: each refused naming the field; a file that breaks half-way (no hash to
        catch it first) fails its load, and the dataset is not made either: nothing made."""
        def set_(key, value):
            def f(pkg, work):
                pkg['resources'][0][key] = value
            return f
        self.hostile(set_('hash', 'sha256:' + '0' * 64), 'resources[0].hash',
                     ["the file's SHA-256 is"])
        self.hostile(set_('hash', 'd41d8cd98f00b204e9800998ecf8427e'), 'resources[0].hash',
                     ['only a SHA-256'])
        r = self.hostile(set_('bytes', 10**15), 'resources[0].bytes', ['more than'], rc=1)
        self.assertIn('1000000000000000', r.err)
        self.hostile(set_('bytes', 12), 'resources[0].bytes', ['declares 12 bytes'])

        def tampered(pkg, work):
            with open(os.path.join(work, pkg['resources'][0]['path']), 'a') as f:
                f.write('Tổng lượt khách,x,2024,1,tỉnh,u,2024,1,thêm\n')
            pkg['resources'][0].pop('bytes')
        self.hostile(tampered, 'resources[0].hash', ["the file's SHA-256 is"])

        def broken(pkg, work):
            # a file that breaks half-way: the header fits, a quote never ends; no hash to
            # stop it first, so the load itself fails — and the dataset goes with it
            with open(os.path.join(work, pkg['resources'][0]['path']), 'a') as f:
                f.write('"Tổng lượt khách,x,2024,1,tỉnh,u,2024,1,thêm\n')
            pkg['resources'][0].pop('bytes')
            pkg['resources'][0].pop('hash')
            # not halong's escaping either: the file goes straight to the load
            pkg['resources'][0].pop('halong:formulaEscape')
        r = self.hostile(broken, 'resources[0].path', ['"tourism.csv": tourism.csv:',
                                                       '(nothing made)'])
        self.assertNotIn('/proc/', r.err)

    def test_hostile_descriptor(self):
        """Two resources, inline data, another delimiter, a schema that is not Table Schema,
        a header that is not the schema's: refused naming the field."""
        def two(pkg, work):
            pkg['resources'].append(dict(pkg['resources'][0], name='again'))
        self.hostile(two, 'resources', ['one resource is expected', 'found 2'])

        def inline(pkg, work):
            pkg['resources'][0]['data'] = [{'a': 1}]
        self.hostile(inline, 'resources[0].data', ['inline data'])

        def semicolon(pkg, work):
            pkg['resources'][0]['dialect']['delimiter'] = ';'
        self.hostile(semicolon, 'resources[0].dialect', ['comma-separated'])

        def money(pkg, work):
            pkg['resources'][0]['schema']['fields'][3]['type'] = 'money'
        self.hostile(money, 'resources[0].schema', ['money'])

        def renamed(pkg, work):
            pkg['resources'][0]['schema']['fields'][0]['name'] = 'chi_tieu'
        self.hostile(renamed, 'resources[0].path', ['chi_tieu'])

        huge = self.h.path('huge')
        os.makedirs(huge)
        with open(os.path.join(huge, 'datapackage.json'), 'w') as f:
            f.write('{"resources": [], "pad": "' + 'x' * (1 << 20) + '"}')
        r = self.ok('dataset', 'create', 'big', '--datapackage', huge, rc=1)
        self.assertIn('datapackage.json', r.err)
        self.assertIn('at most 1048576', r.err)

    # ---- DCAT-AP ----

    def test_dcat_cli_only_public(self):
        """The catalogue lists the public datasets and not the internal one; each dataset has
        its Vietnamese title, publisher (the owner unit by name), themes and frequency from the
        EU vocabularies, four distributions pointing at the export API; both documents conform
        to the DCAT-AP 3.0.1 shapes; the internal dataset is "no dataset"."""
        self.make('tourism', 'tourism.csv')
        self.make('health', 'health.csv')
        self.make('budget', 'state_budget.csv', access='internal')
        unit = self.json('units', 'show', '22')
        path = self.h.path('catalog.jsonld')
        self.ok('dataset', 'dcat', '--base', BASE, '--publisher', '22', '-o', path)
        with open(path, encoding='utf-8') as f:
            doc = json.load(f)
        cat = graph_nodes(doc, 'dcat:Catalog')[0]
        self.assertEqual(sorted(cat['dcat:dataset']),
                         [f'{BASE}/dcat/datasets/health', f'{BASE}/dcat/datasets/tourism'])
        self.assertNotIn('budget', json.dumps(doc))
        ds = {n['dct:identifier']: n for n in graph_nodes(doc, 'dcat:Dataset')}
        self.assertEqual(sorted(ds), ['health', 'tourism'])
        t = ds['tourism']
        self.assertEqual(t['dct:title'], {'@value': 'Số liệu ngành tourism Quảng Ninh (báo chí)',
                                          '@language': 'vi'})
        self.assertEqual(t['dcat:theme'], [EU + 'data-theme/' + c for c in THEMES['tourism']])
        self.assertEqual(ds['health']['dcat:theme'], [EU + 'data-theme/HEAL'])
        self.assertEqual(t['dct:accrualPeriodicity'], EU + 'frequency/ANNUAL')
        agents = {a['@id']: a for a in graph_nodes(doc, 'foaf:Agent')}
        self.assertEqual(agents[t['dct:publisher']]['foaf:name']['@value'], unit['full_name'])
        fmts = sorted(d['dct:format'] for d in t['dcat:distribution'])
        self.assertEqual(fmts, [EU + 'file-type/' + x for x in ('CSV', 'JSON', 'XLSX', 'ZIP')])
        for d in t['dcat:distribution']:
            self.assertTrue(d['dcat:downloadURL'].startswith(
                f'{BASE}/api/v1/datasets/tourism/export?format='))
            self.assertEqual(d['dct:license'], 'http://creativecommons.org/licenses/by/4.0/')
        s = shacl(path)
        self.assertTrue(s['conforms'], s['violations'])

        one = self.h.path('tourism.jsonld')
        self.ok('dataset', 'dcat', 'tourism', '--base', BASE, '-o', one)
        s = shacl(one)
        self.assertTrue(s['conforms'], s['violations'])
        r = self.ok('dataset', 'dcat', 'budget', '--base', BASE, rc=1)
        self.assertIn('no dataset budget', r.err)
        r = self.ok('dataset', 'dcat', '--base', 'data.example.vn', rc=1)
        self.assertIn('base', r.err)
        # no --base: this node's URL and unit (halong node init), once it has them
        r = self.ok('dataset', 'dcat', rc=2)
        self.assertIn('--base URL', r.err)
        self.ok('node', 'init', '--unit', '22', '--url', 'https://hub.quangninh.example')
        doc = json.loads(self.ok('dataset', 'dcat').out)
        cat = graph_nodes(doc, 'dcat:Catalog')[0]
        self.assertEqual(cat['@id'], 'https://hub.quangninh.example/dcat/catalog')
        agents = {a['@id']: a for a in graph_nodes(doc, 'foaf:Agent')}
        self.assertEqual(agents[cat['dct:publisher']]['foaf:name']['@value'], unit['full_name'])


@unittest.skipIf(DATA is None, 'the shared data (../shared/data) is not there')
class PublishServerTest(unittest.TestCase):
    """GET /dcat/… of a real `halong serve`, and the downloads its documents point at, without an
    account."""

    def test_dcat_over_http(self):
        h = hl.Home()
        self.addCleanup(h.cleanup)
        for args in [('units', 'load', '--quiet'),
                     ('dataset', 'create', 'tourism', '--title', 'Du lịch Quảng Ninh (báo chí)',
                      '--from', os.path.join(DATA, 'sector', 'tourism.csv'), '--sector',
                      'tourism', '--access', 'public', '--owner', '22'),
                     ('dataset', 'load', 'tourism', os.path.join(DATA, 'sector', 'tourism.csv')),
                     ('dataset', 'create', 'health', '--title', 'Y tế (nội bộ)', '--from',
                      os.path.join(DATA, 'sector', 'health.csv'), '--sector', 'health')]:
            r = h.run(*args)
            self.assertEqual(r.rc, 0, r)
        srv = hlserve.Server(h.home, ['--public-url', BASE + '/'])
        srv.start()
        self.addCleanup(srv.stop)
        c = srv.client()
        r = c.get('/dcat/catalog.jsonld')
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type').startswith('application/ld+json'))
        doc = r.json()
        cat = graph_nodes(doc, 'dcat:Catalog')[0]
        self.assertEqual(cat['@id'], f'{BASE}/dcat/catalog')
        self.assertEqual(cat['dcat:dataset'], [f'{BASE}/dcat/datasets/tourism'])
        self.assertNotIn('health', [n.get('dct:identifier') for n in doc['@graph']])
        path = h.path('served.jsonld')
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(doc, f, ensure_ascii=False)
        s = shacl(path)
        self.assertTrue(s['conforms'], s['violations'])

        for p in ('/dcat/datasets/tourism.jsonld', '/dcat/datasets/tourism'):
            r = c.get(p)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(graph_nodes(r.json(), 'dcat:Dataset')[0]['@id'],
                             f'{BASE}/dcat/datasets/tourism')
        for p in ('/dcat/datasets/health.jsonld', '/dcat/datasets/nothing.jsonld'):
            r = c.get(p)
            self.assertEqual(r.status, 404, r)
        # the distributions' downloadURLs answer without an account: the CSV, and the Data
        # Package zip, which the official profiles accept and whose CSV is its hash's
        dists = {d['dct:format'].rsplit('/', 1)[1]: d['dcat:downloadURL']
                 for d in graph_nodes(doc, 'dcat:Dataset')[0]['dcat:distribution']}
        r = c.get(dists['CSV'][len(BASE):])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body.decode('utf-8').splitlines()[0],
                         ','.join(read_csv(os.path.join(DATA, 'sector', 'tourism.csv'))[0]))
        r = c.get(dists['ZIP'][len(BASE):])
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type').startswith('application/zip'), r)
        with zipfile.ZipFile(io.BytesIO(r.body)) as z:
            self.assertEqual(sorted(z.namelist()), ['datapackage.json', 'tourism.csv'])
            z.extractall(h.path('served-pkg'))
        v = validate_datapackage(h.path('served-pkg', 'datapackage.json'))
        self.assertTrue(v['ok'], v['errors'])
        with open(h.path('served-pkg', 'datapackage.json'), encoding='utf-8') as f:
            pkg = json.load(f)
        self.assertEqual(pkg['resources'][0]['hash'],
                         'sha256:' + sha256(h.path('served-pkg', 'tourism.csv')))
        r = c.get('/api/v1/datasets/health/export?format=datapackage')
        self.assertEqual(r.status, 404, r)

        # an internal dataset answers exactly as a missing one
        hid = json.dumps(c.get('/dcat/datasets/health.jsonld').json()).replace('health', 'X')
        nop = json.dumps(c.get('/dcat/datasets/nothing.jsonld').json()).replace('nothing', 'X')
        self.assertEqual(hid, nop)
        self.assertEqual(srv.stop(), 0, srv.log()[-3000:])


if __name__ == '__main__':
    unittest.main()
