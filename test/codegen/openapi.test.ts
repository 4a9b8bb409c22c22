import { createConfig, lintFromString } from '@redocly/openapi-core'
import { describe, expect, it } from 'vitest'
import { buildOpenApiDocument } from '../../engine/codegen/openapi/emit-openapi.ts'
import type { OpenApiDocument, OperationObject, ParameterObject, Reference } from '../../engine/codegen/openapi/openapi-types.ts'
import type { ColumnIR, ProjectIR, TableIR } from '../../engine/ir/project-ir.ts'
import { openApiPath } from '../../engine/ir/routes/route-contract.ts'
import { routeGroupsOf } from '../../engine/codegen/route-groups.ts'
import { API_STATUS } from '../../engine/runtime/rest/http-errors.ts'
import { errorCodes } from '../../engine/shared/errors.ts'
import { stableJson } from '../../engine/shared/generated-file.ts'
import { repoRoot } from '../helpers/paths.ts'
import { column, generatedProjects, project, table } from './projects.ts'

const projects = generatedProjects()

/** Redocly's recommended rules; errors fail. The two warnings it gives are listed and kept on purpose. */
async function lint(source: string) {
  const config = await createConfig({ extends: ['recommended'] })
  const problems = await lintFromString({ source, absoluteRef: '/virtual/openapi.json', config })
  return problems.map((p) => ({ severity: p.severity, rule: p.ruleId, message: p.message, at: p.location[0]?.pointer }))
}

/**
 * Warnings accepted: the app definition has no license to state, /healthz has no 4xx response
 * (it answers 200 or 503, nothing else), and the OAuth start and callback succeed with a
 * redirect (302), not a 2xx, and the realtime WebSocket succeeds with 101 Switching Protocols.
 */
function acceptedWarnings(ir: ProjectIR) {
  const oauth = ir.tables.some((t) => t.isUsers) && (ir.auth.oauth.github !== null || ir.auth.oauth.google !== null)
  return [
    { rule: 'info-license', at: '#/info' },
    ...(oauth
      ? [
          { rule: 'operation-2xx-response', at: '#/paths/~1auth~1oauth~1{provider}/get/responses' },
          { rule: 'operation-2xx-response', at: '#/paths/~1auth~1oauth~1{provider}~1callback/get/responses' },
        ]
      : []),
    { rule: 'operation-4xx-response', at: '#/paths/~1healthz/get/responses' },
    // Studio's setup state answers every caller, always 200.
    { rule: 'operation-4xx-response', at: '#/paths/~1admin~1studio~1setup/get/responses' },
    // `POST /admin/jobs/{name}/run` and `/admin/jobs/runs/{id}` are issue 12's paths: the router
    // takes the static `runs` first, so the only clash would be a job named `runs`.
    { rule: 'no-ambiguous-paths', at: '#/paths/~1admin~1jobs~1{name}~1run' },
    { rule: 'operation-2xx-response', at: '#/paths/~1realtime/get/responses' },
  ]
}

/** The route contract's endpoints for the app (/auth with a users table, /admin): what the document must list besides /api. */
function contractRoutesOf(ir: ProjectIR) {
  return routeGroupsOf(ir).flatMap((group) => group.routes)
}

function authPathsOf(ir: ProjectIR): string[] {
  return [...new Set(contractRoutesOf(ir).filter((route) => !route.path.startsWith('/search/') && !route.path.startsWith('/functions/')).map((route) => openApiPath(route.path)))]
}

/** `/search/<table>` for each table with search.text columns. */
function searchPathsOf(ir: ProjectIR): string[] {
  // Semantic-only tables are searchable once an embedding provider is configured.
  return ir.tables.filter((t) => (t.search?.text.length ?? 0) > 0 || (ir.embeddings !== undefined && (t.search?.semantic.length ?? 0) > 0)).map((t) => `/search/${t.name}`)
}

function parameters(doc: OpenApiDocument, operation: OperationObject): ParameterObject[] {
  return operation.parameters.map((p: ParameterObject | Reference) => ('$ref' in p ? doc.components.parameters[p.$ref.split('/').pop()!]! : p))
}

const accepts = (schema: Record<string, unknown>, type: string) =>
  schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type)) || (Array.isArray(schema.anyOf) && schema.anyOf.some((s: { type?: unknown }) => s.type === type))

describe('openapi.json', () => {
  for (const p of projects) {
    describe(p.name, () => {
      const text = p.read('openapi.json')
      const doc = JSON.parse(text) as OpenApiDocument

      it('is the document the builder makes from model.json, with no absolute path', () => {
        expect(text).toBe(stableJson(buildOpenApiDocument(p.ir, 'koyalite.ts')))
        expect(text).not.toContain(repoRoot)
      })

      it('passes Redocly\'s recommended rules with no error', async () => {
        const problems = await lint(text)
        expect(problems.filter((x) => x.severity === 'error')).toEqual([])
        const byPlace = (a: { rule: string; at?: string }, b: { rule: string; at?: string }) => `${a.rule} ${a.at}`.localeCompare(`${b.rule} ${b.at}`)
        expect(problems.map(({ rule, at }) => ({ rule, at })).sort(byPlace)).toEqual(acceptedWarnings(p.ir).sort(byPlace))
      })

      it('is OpenAPI 3.1.0 titled after the app, says where it came from, and secures every route with bearer or cookie', () => {
        expect(doc.openapi).toBe('3.1.0')
        expect(doc.info).toMatchObject({ title: p.ir.name, version: '1.0.0' })
        expect(doc['x-generated-by']).toContain('`koyalite generate`')
        expect(doc['x-generated-by']).toContain('koyalite.ts')
        expect(doc.components.securitySchemes).toEqual({
          bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
          cookieAuth: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'koya_session' }),
        })
        expect(doc.security).toEqual(expect.arrayContaining([{ bearerAuth: [] }, { cookieAuth: [] }]))
      })

      it('gives every table its seven operations, tagged with the table, /auth and /admin with a users table, /graphql and /healthz', () => {
        const expectedPaths = [...p.ir.tables.flatMap((t) => [`/api/${t.name}`, `/api/${t.name}/{id}`]), ...authPathsOf(p.ir), ...searchPathsOf(p.ir), ...(p.ir.functions ?? []).map((fn) => `/functions/${fn.name}`), '/graphql', '/healthz']
        expect(Object.keys(doc.paths).sort()).toEqual(expectedPaths.sort())
        for (const t of p.ir.tables) {
          expect(Object.keys(doc.paths[`/api/${t.name}`]!).sort()).toEqual(['delete', 'get', 'patch', 'post'])
          expect(Object.keys(doc.paths[`/api/${t.name}/{id}`]!).sort()).toEqual(['delete', 'get', 'patch'])
          const operations = [...Object.values(doc.paths[`/api/${t.name}`]!), ...Object.values(doc.paths[`/api/${t.name}/{id}`]!)]
          for (const operation of operations) expect(operation.tags).toEqual([t.name])
        }
        // A tag per table, then one per route-contract group (Auth with a users table, Admin, Jobs, Webhooks with webhooks, Meta), then Health.
        expect(doc.tags.map((t) => t.name)).toEqual([...p.ir.tables.map((t) => t.name), ...routeGroupsOf(p.ir).map((g) => g.tag.name), 'GraphQL', 'Health'])
        expect(routeGroupsOf(p.ir).map((g) => g.tag.name)).toEqual(expect.arrayContaining(['Admin', 'Meta', ...(p.ir.tables.some((t) => t.isUsers) ? ['Auth'] : [])]))
        const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId))
        expect(new Set(ids).size).toBe(ids.length)
        expect(ids).toHaveLength(p.ir.tables.length * 7 + contractRoutesOf(p.ir).length + 2)
        // Each contract entry is one operation, under its id, at its method and path; public ones need no credentials.
        for (const route of contractRoutesOf(p.ir)) {
          const operation = doc.paths[openApiPath(route.path)]![route.method.toLowerCase() as 'get']!
          expect(operation.operationId).toBe(route.id)
          expect(operation.security, route.id).toEqual(route.auth === 'public' ? [] : undefined)
        }
        // Search is served for the tables with search.text, and documented for those alone.
        for (const path of searchPathsOf(p.ir)) expect(doc.paths[path]!.get!.tags).toEqual(['Search'])
        expect(Object.keys(doc.paths).filter((path) => path.startsWith('/search/')).sort()).toEqual(searchPathsOf(p.ir).sort())
      })

      it('filters list, update and delete with one parameter per column, plus or/and', () => {
        for (const t of p.ir.tables) {
          const item = doc.paths[`/api/${t.name}`]!
          for (const operation of [item.get!, item.patch!, item.delete!]) {
            const query = parameters(doc, operation).filter((x) => x.in === 'query').map((x) => x.name)
            expect(query).toEqual(expect.arrayContaining([...t.columns.map((c) => c.name), 'or', 'and']))
            for (const c of t.columns) {
              const filter = parameters(doc, operation).find((x) => x.name === c.name)!
              expect(filter).toMatchObject({ in: 'query', required: false, schema: { type: 'string' } })
              expect(filter.description).toMatch(/`eq\.`.*`in\.\(…\)`.*`is\.null`.*`not\.`/)
            }
          }
          const list = parameters(doc, item.get!).map((x) => x.name)
          expect(list).toEqual(expect.arrayContaining(['select', 'order', 'limit', 'offset', 'Prefer']))
          expect(parameters(doc, item.get!).find((x) => x.name === 'limit')!.schema).toEqual({ type: 'integer', minimum: 0, maximum: 1000 })
          expect(parameters(doc, item.post!).map((x) => x.name)).toEqual(expect.arrayContaining(['on_conflict', 'columns', 'Prefer']))
          for (const operation of Object.values(doc.paths[`/api/${t.name}/{id}`]!)) {
            expect(parameters(doc, operation)).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }))
          }
        }
      })

      it('answers with the table\'s schemas and the shared error responses', () => {
        for (const t of p.ir.tables) {
          const item = doc.paths[`/api/${t.name}`]!
          const one = doc.paths[`/api/${t.name}/{id}`]!
          const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
          const rows = { 'application/json': { schema: { type: 'array', items: ref(t.typeName) } }, 'application/vnd.pgrst.object+json': { schema: ref(t.typeName) } }
          const statuses = (operation: OperationObject) => Object.keys(operation.responses).sort()
          expect(item.get!.responses['200']).toMatchObject({ headers: { 'Content-Range': expect.any(Object) }, content: rows })
          expect(statuses(item.get!)).toEqual(['200', '206', '400', '401', '406'])
          expect(item.post!.requestBody!.content['application/json']!.schema).toEqual({ oneOf: [ref(`${t.typeName}Insert`), { type: 'array', items: ref(`${t.typeName}Insert`), maxItems: 1000 }] })
          expect(item.post!.responses['201']).toMatchObject({ content: rows })
          expect(statuses(item.post!)).toEqual(['201', '400', '401', '403', '406', '409', '413', '422'])
          expect(item.patch!.requestBody!.content['application/json']!.schema).toEqual(ref(`${t.typeName}Update`))
          expect(statuses(item.patch!)).toEqual(['200', '204', '400', '401', '403', '406', '409', '413', '422'])
          expect(statuses(item.delete!)).toEqual(['200', '204', '400', '401', '403', '406', '422'])
          for (const filtered of [item.patch!, item.delete!]) expect(filtered.responses['400']).toEqual({ $ref: '#/components/responses/FilterRequired' })
          expect(one.get!.responses['200']).toMatchObject({ content: { 'application/json': { schema: ref(t.typeName) } } })
          expect(statuses(one.get!)).toEqual(['200', '400', '401', '404'])
          expect(one.patch!.responses['200']).toMatchObject({ content: { 'application/json': { schema: ref(t.typeName) } } })
          expect(statuses(one.patch!)).toEqual(['200', '400', '401', '403', '404', '409', '413', '422'])
          expect(statuses(one.delete!)).toEqual(['200', '204', '401', '403', '404', '406', '422'])
        }
        expect(doc.components.responses.FilterRequired!.description).toContain('KL_API_FILTER_REQUIRED')
        expect(doc.components.responses.BadWrite!.description).toContain('KL_API_VALIDATION')
        for (const name of ['BadRequest', 'BadWrite', 'FilterRequired', 'Unauthorized', 'Forbidden', 'NotFound', 'NotAcceptable', 'Conflict', 'PayloadTooLarge', 'ConstraintFailed']) {
          expect(doc.components.responses[name]!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Error' })
        }
        expect(doc.components.schemas.Error).toMatchObject({ required: ['code', 'message'], properties: { code: { type: 'string', pattern: '^KL_[A-Z]+_[A-Z0-9_]+$' }, hint: { type: 'string' } } })
      })

      it('documents each /auth and /admin error with its codes, at the status the runtime answers them with', () => {
        const auth = Object.entries(doc.paths).filter(([path]) => path.startsWith('/auth/') || path.startsWith('/admin/'))
        expect(auth.length).toBe(authPathsOf(p.ir).filter((path) => path.startsWith('/auth/') || path.startsWith('/admin/')).length)
        const documented = new Set<string>()
        const tagOf = new Map(routeGroupsOf(p.ir).flatMap((g) => g.routes.map((r) => [openApiPath(r.path), g.tag.name] as const)))
        for (const [path, item] of auth) {
          for (const operation of Object.values(item)) {
            expect(operation.tags, path).toEqual([tagOf.get(path)])
            for (const [status, response] of Object.entries(operation.responses)) {
              // The emailed links' pages answer a bad link with a page, not a coded error.
              if ('$ref' in response || Number(status) < 400 || response.content?.['text/html'] !== undefined) continue
              const codes = [...response.description.matchAll(/`(KL_[A-Z0-9_]+)`/g)].map((m) => m[1]!)
              expect(codes.length, `${path} ${status}`).toBeGreaterThan(0)
              for (const code of codes) {
                expect((API_STATUS as Record<string, number>)[code], `${path} ${status} ${code}`).toBe(Number(status))
                documented.add(code)
              }
            }
          }
        }
        if (p.ir.tables.some((t) => t.isUsers)) {
          // Every auth code a response can carry is documented somewhere (KL_AUTH_CONFIG stops the
          // server at start; KL_AUTH_EMAIL_TAKEN comes from Studio's setup even where sign-up, with
          // verification on, never answers it).
          const oauth = authPathsOf(p.ir).some((x) => x.startsWith('/auth/oauth/'))
          const expected = Object.keys(errorCodes).filter(
            (c) => c.startsWith('KL_AUTH_') && c !== 'KL_AUTH_CONFIG' && (oauth || !/^KL_AUTH_(OAUTH|REDIRECT)_/.test(c)),
          )
          expect([...documented].filter((c) => c.startsWith('KL_AUTH_')).sort()).toEqual(expected.sort())
          // Sign-up, login and the emailed links need no credentials; the rest take the session.
          for (const open of ['/auth/signup', '/auth/login', '/auth/verify-email', '/auth/password/reset']) expect(doc.paths[open]!.post!.security, open).toEqual([])
          expect(doc.paths['/auth/session']!.get!.security).toBeUndefined()
          const users = p.ir.tables.find((t) => t.isUsers)!
          const signup = doc.components.schemas.AuthSignupRequest as unknown as { properties: Record<string, unknown>; required: string[] }
          expect(Object.keys(signup.properties).sort()).toEqual([...users.columns.filter((c) => !c.readOnly && c.name !== 'emailVerified').map((c) => c.name), 'password'].sort())
          expect(signup.required).toContain('password')
          expect(doc.paths['/auth/login']!.post!.responses['200']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthLoginResult' } } } })
        }
      })

      it('has Row, Insert and Update schemas that match the IR: required lists, enums, nullability, readOnly', () => {
        for (const t of p.ir.tables) {
          type ObjectSchema = { properties: Record<string, Record<string, unknown>>; required?: string[]; additionalProperties?: boolean; minProperties?: number }
          const row = doc.components.schemas[t.typeName] as unknown as ObjectSchema
          const insert = doc.components.schemas[`${t.typeName}Insert`] as unknown as ObjectSchema
          const update = doc.components.schemas[`${t.typeName}Update`] as unknown as ObjectSchema
          const writable = t.columns.filter((c) => !c.readOnly)
          // stableJson sorts keys, so compare names as sets.
          expect(Object.keys(row.properties).sort()).toEqual(t.columns.map((c) => c.name).sort())
          expect(row.required).toEqual(t.columns.map((c) => c.name))
          expect(Object.keys(insert.properties).sort()).toEqual(writable.map((c) => c.name).sort())
          expect(insert.required).toEqual(writable.filter((c) => !c.nullable && c.default === null).map((c) => c.name))
          expect(insert.additionalProperties).toBe(false)
          expect(Object.keys(update.properties).sort()).toEqual(writable.map((c) => c.name).sort())
          expect(update).toMatchObject({ additionalProperties: false, minProperties: 1 })
          expect(update.required).toBeUndefined()
          for (const c of t.columns) {
            const schema = row.properties[c.name]!
            expect(schema.readOnly === true, `${t.name}.${c.name} readOnly`).toBe(c.readOnly)
            if (c.type !== 'json') expect(accepts(schema, 'null'), `${t.name}.${c.name} nullable`).toBe(c.nullable)
            if (c.type === 'enum') expect(JSON.stringify(schema)).toContain(JSON.stringify(c.values))
          }
        }
      })
    })
  }

  it('the validator is not vacuous: it flags a broken document', async () => {
    const doc = JSON.parse(projects[0]!.read('openapi.json')) as { paths: Record<string, Record<string, { operationId: string }>>; components: { parameters: Record<string, { in: string }> } }
    const [first, second] = Object.values(doc.paths).filter((item) => item.get !== undefined)
    second!.get!.operationId = first!.get!.operationId
    doc.components.parameters.select!.in = 'body' // OpenAPI 2's location, not 3.1's
    const errors = (await lint(JSON.stringify(doc))).filter((x) => x.severity === 'error').map((x) => x.rule)
    expect(errors).toEqual(expect.arrayContaining(['operation-operationId-unique', 'struct']))
  })
})

describe('naming edge cases', () => {
  it('a table whose singular is its plural (people) gets distinct ids for its filtered writes', () => {
    const people = project('crowd', [table('people', 'People', [column('name', 'text')])])
    const doc = buildOpenApiDocument(people, 'koyalite.ts')
    expect(doc.paths['/api/people']!.patch!.operationId).toBe('updateManyPeople')
    expect(doc.paths['/api/people']!.delete!.operationId).toBe('deleteManyPeople')
    expect(doc.paths['/api/people/{id}']!.patch!.operationId).toBe('updatePeople')
    expect(doc.paths['/api/people']!.get!.operationId).toBe('listPeople')
    expect(doc.paths['/api/people/{id}']!.get!.operationId).toBe('getPeople')
  })

  it('uses the IR\'s typeName: tasks gives listTasks, getTask, Task, TaskInsert, TaskUpdate', () => {
    const doc = buildOpenApiDocument(project('todo', [table('work_items', 'WorkItem', [])]), 'koyalite.ts')
    expect(Object.values(doc.paths['/api/work_items']!).map((o) => o.operationId)).toEqual(['listWorkItems', 'createWorkItems', 'updateWorkItems', 'deleteWorkItems'])
    expect(Object.values(doc.paths['/api/work_items/{id}']!).map((o) => o.operationId)).toEqual(['getWorkItem', 'updateWorkItem', 'deleteWorkItem'])
    // The table's three, then the route groups' own (the admin API's audit entries, the jobs', meta's), then Error.
    const names = Object.keys(doc.components.schemas)
    expect(names.slice(0, 3)).toEqual(['WorkItem', 'WorkItemInsert', 'WorkItemUpdate'])
    expect(names).toEqual(expect.arrayContaining(['AuthAuditEntry', 'MetaDescription', 'Error']))
    expect(names.at(-1)).toBe('Error')
  })

  it('a table typed Error keeps its name; the error schema moves aside', async () => {
    const errors: TableIR = table('errors', 'Error', [column('message', 'text')])
    const doc = buildOpenApiDocument(project('logbook', [errors]), 'koyalite.ts')
    expect(doc.components.schemas.Error).toMatchObject({ description: 'A row of `errors`.' })
    expect(doc.components.schemas.KoyaError).toMatchObject({ required: ['code', 'message'] })
    expect(doc.components.responses.NotFound!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/KoyaError' })
    expect((await lint(stableJson(doc))).filter((x) => x.severity === 'error')).toEqual([])
  })

  it('escapes nothing and loses nothing: odd enum values and names survive as data', () => {
    const odd: ColumnIR = column('mood', 'enum', { values: ['a,b', '"quoted"', '<tag>'] })
    const doc = buildOpenApiDocument(project('odd "app" <name>', [table('things', 'Thing', [odd])]), 'koyalite.ts')
    expect(doc.info.title).toBe('odd "app" <name>')
    expect(doc.components.schemas.Thing).toMatchObject({ properties: { mood: { enum: ['a,b', '"quoted"', '<tag>'] } } })
  })
})
