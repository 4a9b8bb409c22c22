import { buildSchema, parse, validate, specifiedRules } from 'graphql'
import { readFileSync } from 'node:fs'
const schema = buildSchema(readFileSync('generated/graphql/schema.graphql', 'utf8'))
const fragments = Array.from({ length: 8 }, (_, k) => `fragment F${k + 1} on Task { ${Array.from({ length: 10 }, () => `...F${k}`).join(' ')} }`)
const query = `{ tasks(limit: 1) { ...F8 } } fragment F0 on Task { id } ${fragments.join(' ')}`
let t = performance.now()
const doc = parse(query)
console.log('parse', performance.now() - t)
t = performance.now()
console.log(validate(schema, doc, specifiedRules).length, 'validate ms', performance.now() - t)
