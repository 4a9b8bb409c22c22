import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateProject } from '../../engine/cli/generate-project.ts'
import { createStudioDevEdits } from '../../engine/cli/studio-edits/dev-edits.ts'
import { unifiedDiff } from '../../engine/cli/studio-edits/text-diff.ts'
import type { StudioDevEdits } from '../../engine/ir/routes/studio-dev-routes.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import { referenceAppCopy } from '../helpers/studio-app.ts'

let root: string
let edits: StudioDevEdits
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')

beforeAll(() => {
  root = referenceAppCopy('studio-edits')
  edits = createStudioDevEdits(root, () => generateProject({ root }))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('schema and policies as code (the dev edits)', () => {
  it('adds a column in the table\'s own file, before the timestamps, keeping the rest of the file, and plans its migration', async () => {
    const before = read('schema/projects.ts')
    const result = await edits.apply({ kind: 'addColumn', table: 'projects', column: { name: 'budget', type: 'int', optional: true } })
    const after = read('schema/projects.ts')
    expect(after).toBe(before.replace("  archived: t.bool().default(false),\n", "  archived: t.bool().default(false),\n  budget: t.int().optional(),\n"))
    expect(result.files.map((f) => f.path)).toEqual(['schema/projects.ts'])
    expect(result.files[0]!.diff).toContain('+  budget: t.int().optional(),')
    expect(result.migration?.name).toMatch(/^0004_/)
    expect(result.migration?.sql).toMatch(/ALTER TABLE "projects" ADD COLUMN "budget" INTEGER/)
    expect(JSON.parse(read('generated/model.json')).tables.find((t: { name: string }) => t.name === 'projects').columns.map((c: { name: string }) => c.name)).toContain('budget')
  }, 120_000)

  it('renames a column with renamedFrom (a RENAME, data kept) and in the table\'s policies', async () => {
    const result = await edits.apply({ kind: 'renameColumn', table: 'comments', from: 'authorId', to: 'writerId' })
    expect(read('schema/comments.ts')).toMatch(/writerId: t\.ref\(.*\)\.renamedFrom\('authorId'\),/)
    const policies = read('policies/comments.ts')
    expect(policies).not.toContain('authorId')
    expect(policies).toContain('comment.writerId === auth.userId')
    expect(result.files.map((f) => f.path).sort()).toEqual(['policies/comments.ts', 'schema/comments.ts'])
    expect(result.migration?.sql).toContain('RENAME COLUMN "authorId" TO "writerId"')
  }, 120_000)

  it('adds a table in schema/<name>.ts, listed in schema/index.ts', async () => {
    const result = await edits.apply({ kind: 'addTable', table: 'labels', columns: [{ name: 'name', type: 'text' }, { name: 'color', type: 'text', optional: true }] })
    expect(read('schema/labels.ts')).toContain("export const labels = table('labels', {\n  id: t.id(),\n  name: t.text(),\n  color: t.text().optional(),\n  createdAt: t.createdAt(),")
    expect(read('schema/index.ts').trimEnd().split('\n').at(-1)).toBe("export { labels } from './labels'")
    expect(result.files.find((f) => f.path === 'schema/labels.ts')!.diff).toMatch(/^--- \/dev\/null/)
    expect(result.migration?.sql).toContain('CREATE TABLE "labels"')
  }, 120_000)

  it('edits a policy predicate and adds a missing rule', async () => {
    const source = '(project, auth) => project.workspace.members.some((m) => m.userId === auth.userId && m.role !== \'viewer\')'
    const result = await edits.apply({ kind: 'editPolicy', table: 'projects', operation: 'read', source })
    expect(read('policies/projects.ts')).toContain(`    read: ${source},\n`)
    expect(result.migration).toBeNull()
    const access = read('generated/access.md')
    expect(access).toContain("m.role !== 'viewer'")
    await edits.apply({ kind: 'editPolicy', table: 'labels', operation: 'read', source: '(label, auth) => auth.userId !== null' })
    expect(['comments', 'projects', 'tasks', 'users', 'workspaces'].map((f) => read(`policies/${f}.ts`)).join('')).toMatch(/labels: \{\n\s+read: \(label, auth\) => auth.userId !== null,/)
  }, 120_000)

  it('refuses a policy the compiler refuses, with its errors, and puts the file back', async () => {
    const before = read('policies/projects.ts')
    const model = read('generated/model.json')
    const refused = await edits.apply({ kind: 'editPolicy', table: 'projects', operation: 'delete', source: '(project, auth) => project.nope === auth.userId' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(KoyaError)
    expect((refused as KoyaError).code).toBe('KL_API_STUDIO_EDIT_INVALID')
    expect((refused as KoyaError).message).toMatch(/policies\/projects\.ts:\d+:\d+ KL_/)
    expect(read('policies/projects.ts')).toBe(before)
    expect(read('generated/model.json')).toBe(model)
  }, 120_000)

  it('adds an index to the table\'s options (made when the table has none), and refuses one it already has', async () => {
    const before = read('schema/tasks.ts')
    const result = await edits.apply({ kind: 'addIndex', table: 'tasks', columns: ['assigneeId', 'dueAt'] })
    expect(read('schema/tasks.ts')).toBe(before.replace("  indexes: [['projectId', 'status']],", "  indexes: [['projectId', 'status'], ['assigneeId', 'dueAt']],"))
    expect(result.migration?.sql).toMatch(/CREATE INDEX "[^"]+" ON "tasks" \("assigneeId", "dueAt"\)/)
    const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: KoyaError) => e.code)
    expect(await codeOf(edits.apply({ kind: 'addIndex', table: 'tasks', columns: ['projectId', 'status'] }))).toBe('KL_API_STUDIO_EDIT_INVALID')
    expect(await codeOf(edits.apply({ kind: 'addIndex', table: 'tasks', columns: ['nope'] }))).toBe('KL_API_STUDIO_EDIT_NOT_FOUND')
    // A table declared without options gets them.
    const unique = await edits.apply({ kind: 'addIndex', table: 'labels', columns: ['name'], unique: true })
    expect(read('schema/labels.ts')).toContain("}, { indexes: [{ columns: ['name'], unique: true }] })")
    expect(unique.migration?.sql).toMatch(/CREATE UNIQUE INDEX "[^"]+" ON "labels" \("name"\)/)
  }, 120_000)

  it('redefines an index in place (which renames it) and drops one, the options removed with the last index', async () => {
    const before = read('schema/tasks.ts')
    const edited = await edits.apply({ kind: 'editIndex', table: 'tasks', columns: ['assigneeId', 'dueAt'], to: ['assigneeId', 'status'], unique: false })
    expect(read('schema/tasks.ts')).toBe(before.replace("['assigneeId', 'dueAt']]", "['assigneeId', 'status']]"))
    expect(edited.migration?.sql).toContain('DROP INDEX "tasks_assigneeId_dueAt_idx"')
    expect(edited.migration?.sql).toMatch(/CREATE INDEX "tasks_assigneeId_status_idx" ON "tasks" \("assigneeId", "status"\)/)
    const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: KoyaError) => e.code)
    expect(await codeOf(edits.apply({ kind: 'editIndex', table: 'tasks', columns: ['assigneeId', 'status'], to: ['projectId', 'status'] }))).toBe('KL_API_STUDIO_EDIT_INVALID')
    expect(await codeOf(edits.apply({ kind: 'dropIndex', table: 'tasks', columns: ['title'] }))).toBe('KL_API_STUDIO_EDIT_NOT_FOUND')
    const dropped = await edits.apply({ kind: 'dropIndex', table: 'tasks', columns: ['assigneeId', 'status'] })
    expect(read('schema/tasks.ts')).toBe(before.replace(", ['assigneeId', 'dueAt']]", ']'))
    expect(dropped.migration?.sql).toContain('DROP INDEX "tasks_assigneeId_status_idx"')
    // The last index of a table declared without options: the options go with it.
    const labels = read('schema/labels.ts')
    await edits.apply({ kind: 'dropIndex', table: 'labels', columns: ['name'] })
    expect(read('schema/labels.ts')).toBe(labels.replace(", { indexes: [{ columns: ['name'], unique: true }] })", ')'))
  }, 120_000)

  it('refuses unknown tables and columns, and names already taken, before writing anything', async () => {
    const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: KoyaError) => e.code)
    expect(await codeOf(edits.apply({ kind: 'addColumn', table: 'nope', column: { name: 'x', type: 'int' } }))).toBe('KL_API_STUDIO_EDIT_NOT_FOUND')
    expect(await codeOf(edits.apply({ kind: 'renameColumn', table: 'tasks', from: 'nope', to: 'x' }))).toBe('KL_API_STUDIO_EDIT_NOT_FOUND')
    expect(await codeOf(edits.apply({ kind: 'addColumn', table: 'tasks', column: { name: 'title', type: 'text' } }))).toBe('KL_API_STUDIO_EDIT_INVALID')
    expect(await codeOf(edits.apply({ kind: 'addTable', table: 'tasks', columns: [] }))).toBe('KL_API_STUDIO_EDIT_INVALID')
    expect(existsSync(path.join(root, 'schema', 'nope.ts'))).toBe(false)
  })
})

describe('unifiedDiff', () => {
  it('prints hunks with context', () => {
    expect(unifiedDiff('f.ts', 'a\nb\nc\n', 'a\nB\nc\nd\n', 1)).toBe('--- a/f.ts\n+++ b/f.ts\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n')
  })
})
