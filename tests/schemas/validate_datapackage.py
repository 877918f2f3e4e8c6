"""Validates a datapackage.json against the official profiles vendored beside this file (see
README.md), with Debian's python3-jsonschema: run by /usr/bin/python3, not by any other Python.

    /usr/bin/python3 tests/schemas/validate_datapackage.py DIR/datapackage.json

Checks, each with the validator its profile's "$schema" names (jsonschema.validators.validator_for):
the package against Data Package 2.0 and Tabular Data Package 1.0; each resource against Data
Resource 2.0 and Tabular Data Resource 1.0; each resource's schema against Table Schema 2.0 and
its dialect against Table Dialect 2.0. Prints one JSON line: {"ok": bool, "errors": [...]}; exit
0 when valid, 1 when not, 2 when it could not run."""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))


def profile(*parts):
    with open(os.path.join(HERE, *parts), encoding='utf-8') as f:
        return json.load(f)


def check(schema, doc, what, errors):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    for e in sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path)):
        loc = '/'.join(str(p) for p in e.absolute_path)
        errors.append(f'{what}: {loc or "(root)"}: {e.message[:300]}')


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding='utf-8') as f:
        pkg = json.load(f)
    errors = []
    check(profile('datapackage-2.0', 'datapackage.json'), pkg, 'Data Package 2.0', errors)
    check(profile('tabular-1.0', 'tabular-data-package.json'), pkg, 'Tabular Data Package 1.0',
          errors)
    for i, r in enumerate(pkg.get('resources', [])):
        check(profile('datapackage-2.0', 'dataresource.json'), r,
              f'resources[{i}] Data Resource 2.0', errors)
        check(profile('tabular-1.0', 'tabular-data-resource.json'), r,
              f'resources[{i}] Tabular Data Resource 1.0', errors)
        if isinstance(r.get('schema'), dict):
            check(profile('datapackage-2.0', 'tableschema.json'), r['schema'],
                  f'resources[{i}].schema Table Schema 2.0', errors)
        if isinstance(r.get('dialect'), dict):
            check(profile('datapackage-2.0', 'tabledialect.json'), r['dialect'],
                  f'resources[{i}].dialect Table Dialect 2.0', errors)
    print(json.dumps({'ok': not errors, 'errors': errors,
                      'validator': f'python3-jsonschema {jsonschema.__version__}'
                      if hasattr(jsonschema, '__version__') else 'python3-jsonschema'},
                     ensure_ascii=False))
    return 0 if not errors else 1


if __name__ == '__main__':
    sys.exit(main())
