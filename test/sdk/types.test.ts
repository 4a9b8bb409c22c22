import path from 'node:path'
import { Project, ts, type CompilerOptions, type SourceFile } from 'ts-morph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generatedProjects } from '../codegen/projects.ts'
import { repoRoot } from '../helpers/paths.ts'
import { referenceIr, writeSdk } from './sdk-files.ts'

/**
 * The SDK's static types: the emitted SDK of the reference app, a file of correct use whose result
 * types must be exactly the ones expected, and one file per misuse, each of which must not compile.
 */
const strict: CompilerOptions = {
  strict: true,
  noEmit: true,
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: [],
  skipLibCheck: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
}

/** What an app's tsconfig may add on top: the SDK is a source file of the app, so it must pass them all. */
const strictest: CompilerOptions = {
  ...strict,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noPropertyAccessFromIndexSignature: true,
  allowUnreachableCode: false,
  erasableSyntaxOnly: true,
  declaration: true,
  isolatedDeclarations: true,
}

function messages(file: SourceFile): string[] {
  return file.getPreEmitDiagnostics().map((d) => `${d.getLineNumber() ?? '?'}: ${ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, ' ')}`)
}

function check(files: string[], options: CompilerOptions): Map<string, string[]> {
  const project = new Project({ compilerOptions: options })
  const sources = files.map((f) => project.addSourceFileAtPath(f))
  project.resolveSourceFileDependencies()
  return new Map(sources.map((s) => [s.getFilePath().toString(), messages(s)]))
}

const header = [
  "import { createClient, type AuthAuditEntry, type AuthRoleGrants, type AuthSession, type AuthSignupResult, type Comment, type Project, type QueryResult, type Task, type User, type Where, type Workspace } from './sdk'",
  'type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false',
  "const koya = createClient({ url: 'http://127.0.0.1:3000', token: 'token' })",
  "declare const me: User",
  "declare const id: string",
]

const usage = String.raw`
// Reads: the result type follows select and include.
const open = await koya.tasks.list({
  where: { status: { in: ['todo', 'doing'] }, dueAt: { lt: '2027-01-01T00:00:00.000Z' } },
  orderBy: { dueAt: 'asc' }, limit: 20, include: { project: true },
})
export const listWithInclude: Equal<typeof open, (Task & { project: Project })[]> = true
const plain = await koya.tasks.list()
export const listNoOptions: Equal<typeof plain, Task[]> = true
const picked = await koya.tasks.list({ select: ['id', 'title'] })
export const listSelect: Equal<typeof picked, Pick<Task, 'id' | 'title'>[]> = true
export const listSelectFlat: Equal<typeof picked, { id: string; title: string }[]> = true
const deep = await koya.tasks.get(id, {
  include: { project: { include: { workspace: true } }, assignee: true, comments: { where: { parentId: null }, orderBy: { createdAt: 'desc' }, limit: 3 } },
})
export const getNested: Equal<typeof deep, Task & { project: Project & { workspace: Workspace }; assignee: User | null; comments: Comment[] }> = true
const narrow = await koya.tasks.list({ select: ['title'], include: { project: { select: ['name'], include: { workspace: { select: ['slug'] } } } } })
export const nestedSelect: Equal<typeof narrow, (Pick<Task, 'title'> & { project: Pick<Project, 'name'> & { workspace: Pick<Workspace, 'slug'> } })[]> = true
const one = await koya.tasks.get(id)
export const getIsNotNullable: Equal<typeof one, Task> = true
const many = await koya.projects.list({ where: { archived: { is: false } }, include: { tasks: { orderBy: [{ priority: 'desc' }, { dueAt: { direction: 'asc', nulls: 'first' } }] } } })
export const hasMany: Equal<typeof many, (Project & { tasks: Task[] })[]> = true
const selfRef = await koya.comments.list({ include: { parent: true, replies: { include: { author: true } } } })
export const selfReference: Equal<typeof selfRef, (Comment & { parent: Comment | null; replies: (Comment & { author: User })[] })[]> = true
export const resultType: Equal<QueryResult<'tasks', undefined, { project: true }>, Task & { project: Project }> = true

// Counts and writes.
export const count: Equal<Awaited<ReturnType<typeof koya.tasks.count>>, number> = true
await koya.tasks.count({ where: { status: 'todo' } })
await koya.tasks.count({ status: 'todo', priority: { gt: 0 } })
const task = await koya.tasks.create({ projectId: id, title: 'Ship it', createdBy: me.id })
export const createOne: Equal<typeof task, Task> = true
const tasks = await koya.tasks.create([{ projectId: id, title: 'A', createdBy: me.id }, { projectId: id, title: 'B', createdBy: me.id, status: 'doing', body: null }])
export const createMany: Equal<typeof tasks, Task[]> = true
const created = await koya.tasks.create({ projectId: id, title: 'C', createdBy: me.id }, { select: ['id'], include: { project: { select: ['name'] } } })
export const createShaped: Equal<typeof created, Pick<Task, 'id'> & { project: Pick<Project, 'name'> }> = true
const updated = await koya.tasks.update(task.id, { status: 'done' })
export const update: Equal<typeof updated, Task> = true
const changed = await koya.tasks.updateMany({ status: 'todo' }, { priority: 2 }, { select: ['id'] })
export const updateMany: Equal<typeof changed, Pick<Task, 'id'>[]> = true
const removed = await koya.tasks.delete(task.id)
export const deleteOne: Equal<typeof removed, void> = true
const gone = await koya.tasks.deleteMany({ status: 'done' })
export const deleteManyCount: Equal<typeof gone, number> = true
const goneRows = await koya.tasks.deleteMany({ status: 'done' }, { returning: true, select: ['title'] })
export const deleteManyRows: Equal<typeof goneRows, Pick<Task, 'title'>[]> = true

// Where: every operator, null where nullable, and the logical combinators.
export const where: Where<'tasks'> = {
  title: { like: '*x*', ilike: '*X*', neq: 'y' },
  priority: { gte: 1, lte: 3, in: [1, 2] },
  dueAt: null,
  assigneeId: { is: null },
  or: [{ status: 'todo' }, { and: [{ body: { eq: 'b' } }, { not: { createdBy: me.id } }] }],
}
await koya.projects.list({ where: { archived: true, description: { is: null } } })
await koya.comments.list({ where: { meta: null } })
// Options may be computed: undefined is accepted wherever an option may be left out (exactOptionalPropertyTypes).
declare const page: number | undefined
const computed = await koya.tasks.list({ where: undefined, orderBy: undefined, limit: page, offset: page, select: undefined, include: { comments: { limit: page } } })
export const computedOptions: Equal<typeof computed, (Task & { comments: Comment[] })[]> = true

// Auth: sign-up takes the users table's columns; users come back as User; roles are the app's.
const signedUp = await koya.auth.signup({ email: 'ada@example.com', password: 'correct horse battery', displayName: 'Ada' })
export const signupResult: Equal<typeof signedUp, AuthSignupResult> = true
// The reference app verifies email: sign-up answers { ok: true } whoever the address belongs to.
export const signupAnswer: Equal<typeof signedUp, { ok: true }> = true
await koya.auth.signup({ email: 'bob@example.com', password: 'correct horse battery', displayName: 'Bob', avatarPath: null })
const loggedIn = await koya.auth.login({ email: 'ada@example.com', password: 'correct horse battery' })
export const loginSession: Equal<typeof loggedIn.session, AuthSession> = true
const info = await koya.auth.session()
export const sessionUser: Equal<typeof info.user, User> = true
export const sessionRoles: Equal<typeof info.roles, ('admin' | 'support')[]> = true
export const sessionImpersonator: Equal<typeof info.impersonator, { id: string; email: string; reason: string | null } | undefined> = true
const ended = await koya.auth.logoutAll()
export const logoutAll: Equal<typeof ended, { revoked: number }> = true
export const logout: Equal<Awaited<ReturnType<typeof koya.auth.logout>>, void> = true
const verified = await koya.auth.verifyEmail('token')
export const verifyEmail: Equal<typeof verified, { user: User }> = true
await koya.auth.resendVerification('ada@example.com')
await koya.auth.forgotPassword('ada@example.com')
await koya.auth.resetPassword({ token: 'token', password: 'a new passphrase' })
const renewed = await koya.auth.changePassword({ currentPassword: 'correct horse battery', newPassword: 'a new passphrase' })
export const changePassword: Equal<typeof renewed, AuthSession> = true
const acting = await koya.auth.impersonate({ userId: id, reason: 'ticket 42' })
export const impersonatedUser: Equal<typeof acting.user, User> = true
await koya.auth.stopImpersonating()
export const oauthUrl: string = koya.auth.oauthUrl('github', { redirectTo: '/tasks' })
export const token: Equal<Awaited<ReturnType<typeof koya.auth.getToken>>, string | null> = true
koya.auth.setToken(null)
const grants = await koya.admin.grantRole(id, 'support')
export const grantRole: Equal<typeof grants, AuthRoleGrants> = true
export const grantedRoles: Equal<typeof grants.roles, ('admin' | 'support')[]> = true
await koya.admin.revokeRole(id, 'admin')
const entries = await koya.admin.audit({ action: 'role.grant', actor: id, from: '2026-01-01T00:00:00.000Z', limit: 10 })
export const audit: Equal<typeof entries, AuthAuditEntry[]> = true
await koya.admin.audit()
`

/** Each misuse must fail to compile, on its own line. */
const misuses: [string, string][] = [
  ['an unknown column in where', 'await koya.tasks.list({ where: { nope: 1 } })'],
  ['a wrong enum value', "await koya.tasks.list({ where: { status: 'late' } })"],
  ['a wrong enum value in an in list', "await koya.tasks.list({ where: { status: { in: ['todo', 'late'] } } })"],
  ['a wrong value type', "await koya.tasks.list({ where: { priority: 'high' } })"],
  ['a wrong value type for an operator', "await koya.tasks.list({ where: { dueAt: { lt: new Date() } } })"],
  ['null for a column that is not nullable', 'await koya.tasks.list({ where: { title: null } })'],
  ['like on a number column', "await koya.tasks.list({ where: { priority: { like: '1*' } } })"],
  ['is true on a text column', 'await koya.tasks.list({ where: { title: { is: true } } })'],
  ['an unknown column inside or', 'await koya.tasks.list({ where: { or: [{ status: "todo" }, { nope: 1 }] } })'],
  ['an unknown relation in include', 'await koya.tasks.list({ include: { owner: true } })'],
  ['an unknown relation next to a known one', 'await koya.tasks.list({ include: { project: true, owner: true } })'],
  ['an unknown nested relation', 'await koya.tasks.list({ include: { project: { include: { workspace: true, nope: true } } } })'],
  ['where on a belongs-to include', "await koya.tasks.list({ include: { project: { where: { name: 'x' } } } })"],
  ['an unknown column in a has-many include where', 'await koya.projects.list({ include: { tasks: { where: { nope: 1 } } } })'],
  ['an unknown column in select', "await koya.tasks.list({ select: ['id', 'nope'] })"],
  ['an unknown column in orderBy', "await koya.tasks.list({ orderBy: { nope: 'asc' } })"],
  ['a wrong sort direction', "await koya.tasks.list({ orderBy: { title: 'up' } })"],
  ['writing a read-only column (id) in create', "await koya.tasks.create({ id: 'x', projectId: id, title: 't', createdBy: me.id })"],
  ['writing a read-only column (createdAt) in create', "await koya.tasks.create({ projectId: id, title: 't', createdBy: me.id, createdAt: 'x' })"],
  ['writing id in a create of many', "await koya.tasks.create([{ projectId: id, title: 't', createdBy: me.id, id: 'x' }])"],
  ['a missing required column in create', "await koya.tasks.create({ projectId: id, title: 't' })"],
  ['a wrong enum value in create', "await koya.tasks.create({ projectId: id, title: 't', createdBy: me.id, status: 'late' })"],
  ['writing id in update', "await koya.tasks.update(id, { id: 'y' })"],
  ['an unknown column in an updateMany where', "await koya.tasks.updateMany({ nope: 1 }, { status: 'done' })"],
  ['an unknown column in count', 'await koya.tasks.count({ nope: 1 })'],
  ['an unknown column in count({ where })', 'await koya.tasks.count({ where: { nope: 1 } })'],
  ['reading a column not selected', "export const title: string = (await koya.tasks.list({ select: ['id'] }))[0]!.title"],
  ['reading a relation not included', 'export const project: Project = (await koya.tasks.get(id)).project'],
  ['a nullable belongs-to read as never null', 'export const assignee: User = (await koya.tasks.get(id, { include: { assignee: true } })).assignee'],
  ['an unknown table', 'await koya.secrets.list()'],
  ['an unknown option', 'await koya.tasks.list({ filter: { status: "todo" } })'],
  ['signup without a password', "await koya.auth.signup({ email: 'a@example.com', displayName: 'A' })"],
  ['signup without a required column of users', "await koya.auth.signup({ email: 'a@example.com', password: 'pw' })"],
  ['signup setting emailVerified', "await koya.auth.signup({ email: 'a@example.com', password: 'pw', displayName: 'A', emailVerified: true })"],
  ['signup with a column users does not have', "await koya.auth.signup({ email: 'a@example.com', password: 'pw', displayName: 'A', nickname: 'a' })"],
  ['signup setting a read-only column', "await koya.auth.signup({ email: 'a@example.com', password: 'pw', displayName: 'A', id: 'x' })"],
  ['login with a username', "await koya.auth.login({ username: 'ada', password: 'pw' })"],
  ['login without a password', "await koya.auth.login({ email: 'a@example.com' })"],
  ['changePassword without the current password', "await koya.auth.changePassword({ newPassword: 'pw' })"],
  ['impersonate without a reason', 'await koya.auth.impersonate({ userId: id })'],
  ['an OAuth provider the app does not configure', "koya.auth.oauthUrl('google')"],
  ['granting a role the app does not declare', "await koya.admin.grantRole(id, 'owner')"],
  ['revoking a role the app does not declare', "await koya.admin.revokeRole(id, 'superuser')"],
  ['an unknown audit filter', 'await koya.admin.audit({ user: id })'],
  ['a number where the audit filter takes a time', 'await koya.admin.audit({ from: 1 })'],
]

let files: ReturnType<typeof writeSdk>
let usageFile: string
let misuseFiles: string[]

beforeAll(() => {
  files = writeSdk(referenceIr(), 'types')
  usageFile = files.write('usage.ts', [...header, usage].join('\n'))
  misuseFiles = misuses.map(([, code], i) => files.write(`misuse-${i}.ts`, [...header, code, 'export {}', ''].join('\n')))
})
afterAll(() => files?.remove())

describe('SDK types', () => {
  it('type-check under the strictest options, with no DOM or Node types (browsers, Node and Deno alike)', () => {
    expect(check([files.index], strictest).get(files.index)).toEqual([])
  })

  it('type-check with an older app tsconfig (lib ES2020 and DOM) and with Node types', () => {
    expect(check([files.index], { ...strictest, target: ts.ScriptTarget.ES2020, lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'] }).get(files.index)).toEqual([])
    expect(check([files.index], { ...strictest, types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules', '@types')] }).get(files.index)).toEqual([])
  })

  it('accept the global fetch of the DOM and of Node as the fetch option', () => {
    const code = [header[0], 'createClient({ url: "x", fetch })', 'createClient({ url: "x", fetch: globalThis.fetch, token: async () => undefined, headers: { "x-trace": "1" } })', 'export {}', ''].join('\n')
    const file = files.write('fetch.ts', code)
    expect(check([file], { ...strict, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] }).get(file)).toEqual([])
    expect(check([file], { ...strict, types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules', '@types')] }).get(file)).toEqual([])
  })

  it('give correct use the exact result types', () => {
    expect(check([usageFile], strict).get(usageFile)).toEqual([])
  })

  it('catch a wrong expectation (the Equal checks are not vacuous)', () => {
    const file = files.write('vacuous.ts', [...header, 'const rows = await koya.tasks.list({ include: { project: true } })', 'export const wrong: Equal<typeof rows, Task[]> = true', ''].join('\n'))
    expect(check([file], strict).get(file)).toEqual([expect.stringMatching(/^7: Type 'true' is not assignable to type 'false'/)])
  })

  describe('refuse misuse', () => {
    let results: Map<string, string[]>
    beforeAll(() => {
      results = check(misuseFiles, strict)
    })
    const line = header.length + 1
    misuses.forEach(([name, code], i) => {
      it(`${name}: ${code}`, () => {
        const diagnostics = results.get(misuseFiles[i]!)!
        expect(diagnostics.length, 'the misuse compiled').toBeGreaterThan(0)
        // Only the misuse fails: not the import or the setup around it.
        expect(diagnostics.filter((d) => !d.startsWith(`${line}: `))).toEqual([])
      })
    })
  })

  it('of every fixture project type-check too (all column types, cycles, tables without relations)', () => {
    for (const project of generatedProjects()) {
      const sdk = writeSdk(project.ir, 'fixture')
      try {
        expect(check([sdk.index], strictest).get(sdk.index), project.name).toEqual([])
      } finally {
        sdk.remove()
      }
    }
  })
})
