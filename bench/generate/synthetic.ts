import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * Write a synthetic project of `count` tables in files of ten: every column type, refs to
 * earlier tables (so relations and FK indexes are built), enums with defaults, composite indexes.
 */
export function writeSyntheticProject(root: string, count: number): void {
  mkdirSync(path.join(root, 'schema'), { recursive: true })
  const files: string[] = []
  for (let start = 0; start < count; start += 10) {
    const file = `part${String(start / 10).padStart(2, '0')}`
    files.push(file)
    const imports = new Set<string>()
    const tables: string[] = []
    for (let i = start; i < Math.min(start + 10, count); i++) {
      const refs = [i - 1, i - 7].filter((r) => r >= 0)
      for (const r of refs) if (r < start) imports.add(`import { t${r} } from './part${String(Math.floor(r / 10)).padStart(2, '0')}'`)
      tables.push(`export const t${i} = table('t${i}', {
  id: t.id(),
${refs.map((r, k) => `  parent${k}Id: t.ref(() => t${r}${k === 1 ? `, { inverse: 'children${i}' }` : ''})${k === 1 ? '.optional()' : ''},`).join('\n')}
  name: t.text().min(1).max(100),
  note: t.text().optional(),
  amount: t.int().min(0).default(0),
  ratio: t.real().optional(),
  flag: t.bool().default(false),
  at: t.timestamp().optional(),
  day: t.date().optional(),
  data: t.json().optional(),
  state: t.enum(['new', 'open', 'closed']).default('new'),
  createdAt: t.createdAt(),
  updatedAt: t.updatedAt(),
}, { indexes: [['state', 'amount']] })`)
    }
    writeFileSync(path.join(root, 'schema', `${file}.ts`), [`import { table, t } from 'koyalite'`, ...imports, '', tables.join('\n\n'), ''].join('\n'))
  }
  writeFileSync(path.join(root, 'schema', 'index.ts'), files.map((f) => `export * from './${f}'`).join('\n') + '\n')
  writeFileSync(
    path.join(root, 'koyalite.ts'),
    `import { defineConfig } from 'koyalite'\nimport * as tables from './schema'\n\nexport default defineConfig({ name: 'synthetic-${count}', tables })\n`,
  )
}
