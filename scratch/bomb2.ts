import { readFileSync } from 'node:fs'
import { buildSchema, parse } from '/work/wt-graphql/engine/runtime/graphql/graphql-js.ts'
import { checkLimits, DEFAULT_GRAPHQL_LIMITS } from '/work/wt-graphql/engine/runtime/graphql/limits.ts'
const schema = buildSchema(readFileSync('generated/graphql/schema.graphql', 'utf8'))
const fragments = Array.from({ length: 8 }, (_, k) => `fragment F${k + 1} on Task { ${Array.from({ length: 10 }, () => `...F${k}`).join(' ')} }`)
for (const query of [`{ tasks(limit: 1) { ...F8 } } fragment F0 on Task { id } ${fragments.join(' ')}`, `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: tasksCount`).join(' ')} }`]) {
  for (let i = 0; i < 3; i++) {
    let t = performance.now()
    const doc = parse(query)
    const p = performance.now() - t
    t = performance.now()
    try { checkLimits(schema, doc, DEFAULT_GRAPHQL_LIMITS) } catch (e) { }
    console.log('parse', p.toFixed(1), 'check', (performance.now() - t).toFixed(1))
  }
}
