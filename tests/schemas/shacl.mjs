// Validates a DCAT-AP JSON-LD document against the official DCAT-AP 3.0.1 SHACL shapes vendored
// beside this file (README.md), offline: the JSON-LD is expanded to N-Quads by jsonld (whose
// document loader here refuses every remote context: the document must carry its own), parsed
// by n3, and validated by rdf-validate-shacl (the npm packages of package-lock.json).
//
//   node tests/schemas/shacl.mjs DOC.jsonld
//
// Prints one JSON line: {"conforms", "violations": [...], "warnings": [...], "triples"} where
// violations are the results of shapes.ttl (mandatory properties, cardinalities, literal ranges)
// and warnings those of shapes_recommended.ttl. Exit 0 when shapes.ttl conforms, 1 when not, 2
// when it could not run.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import rdf from '@zazuko/env-node'
import jsonld from 'jsonld'
import N3 from 'n3'
import SHACLValidator from 'rdf-validate-shacl'

const here = dirname(fileURLToPath(import.meta.url))

function parse(text, format) {
  const ds = rdf.dataset()
  for (const q of new N3.Parser({ format, factory: rdf }).parse(text)) ds.add(q)
  return ds
}

function shapes(name) {
  return parse(readFileSync(join(here, 'dcat-ap-3.0.1', name), 'utf8'), 'text/turtle')
}

function results(report) {
  return report.results.map((r) => ({
    focus: r.focusNode?.value,
    path: r.path?.value,
    message: r.message.map((m) => m.value).join('; '),
    severity: r.severity?.value.replace('http://www.w3.org/ns/shacl#', ''),
  }))
}

async function main() {
  const file = process.argv[2]
  if (!file) {
    console.error('usage: node tests/schemas/shacl.mjs DOC.jsonld')
    process.exit(2)
  }
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const documentLoader = async (url) => {
    throw new Error(`remote context refused (offline validation): ${url}`)
  }
  const nquads = await jsonld.toRDF(doc, { format: 'application/n-quads', documentLoader })
  const data = parse(nquads, 'N-Quads')
  const mandatory = await new SHACLValidator(shapes('shapes.ttl'), { factory: rdf }).validate(data)
  const recommended = await new SHACLValidator(shapes('shapes_recommended.ttl'), {
    factory: rdf,
  }).validate(data)
  const out = {
    conforms: mandatory.conforms,
    violations: results(mandatory),
    warnings: results(recommended),
    triples: data.size,
  }
  console.log(JSON.stringify(out))
  process.exit(out.conforms ? 0 : 1)
}

main().catch((e) => {
  console.error(`shacl.mjs: ${e.stack || e}`)
  process.exit(2)
})
