import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { EDITABLE_COLUMN_TYPES, STUDIO_DEV_ROUTE_IDS, studioDevRoutes, type StudioDevEdits, type StudioEdit, type StudioEnvFile, type StudioEnvVariable } from '../../ir/routes/studio-dev-routes.ts'
import { KoyaError } from '../../shared/errors.ts'
import { requireAdmin, type AdminDeps } from '../admin/admin-routes.ts'
import type { Env } from '../auth/auth-settings.ts'
import { envValueProblem } from '../environment/check-env.ts'
import { registerContractRoutes } from '../http/route-contract.ts'
import { SECRET_NAME } from '../observability/admin-views.ts'

/**
 * `GET|POST /admin/studio/edit` under `koyalite dev`: an admin's schema or policy edit goes to
 * the CLI's edit code (`devEdits`), audited. Edits run one at a time. `GET|POST
 * /admin/studio/env`: the `.env` editor, whose values are checked with the app's env schema here,
 * before the CLI writes the file.
 */
export function registerDevEditRoutes(app: FastifyInstance, edits: StudioDevEdits, admin: AdminDeps, project: { readonly model: ProjectIR; readonly env: Env }): void {
  const envState = (file: StudioEnvFile) => ({
    file: file.file,
    variables: (project.model.env ?? []).map((variable): StudioEnvVariable => {
      const value = project.env[variable.name]
      return {
        name: variable.name,
        required: variable.required,
        set: value !== undefined && value !== '',
        inFile: file.names.includes(variable.name),
        secret: SECRET_NAME.test(variable.name),
        problem: envValueProblem(variable, value === '' ? undefined : value) ?? null,
        usedBy: variable.usedBy,
        schema: variable.schema as Record<string, unknown> | null,
      }
    }),
  })
  let queue: Promise<unknown> = Promise.resolve()
  registerContractRoutes(app, {
    ids: STUDIO_DEV_ROUTE_IDS,
    routes: studioDevRoutes().routes,
    isAnonymous: (request: FastifyRequest) => admin.requests.authOf(request).actor.kind === 'anonymous',
    handlers: {
      async studioEditState(request) {
        requireAdmin(admin, request)
        return { available: true, columnTypes: [...EDITABLE_COLUMN_TYPES] }
      },
      async studioEdit(request) {
        const { actorId } = requireAdmin(admin, request)
        const edit = request.body as StudioEdit
        const run = queue.then(() => edits.apply(edit))
        queue = run.catch(() => {})
        const result = await run
        admin.audit.record({ actorId, subjectId: null, action: 'studio.code.edit', reason: null, requestId: request.id, detail: { edit, files: result.files.map((f) => f.path), migration: result.migration?.name ?? null } })
        return result
      },
      async studioEnvState(request) {
        requireAdmin(admin, request)
        return envState(edits.envFile())
      },
      async studioEnvWrite(request) {
        const { actorId } = requireAdmin(admin, request)
        const { values } = request.body as { values: Record<string, string | null> }
        const declared = new Map((project.model.env ?? []).map((variable) => [variable.name, variable]))
        const problems: string[] = []
        for (const [name, value] of Object.entries(values)) {
          const variable = declared.get(name)
          if (variable === undefined) problems.push(`${name} is not declared in koyalite.ts`)
          else {
            const problem = envValueProblem(variable, value === null || value === '' ? undefined : value)
            if (problem !== undefined) problems.push(`${name} ${problem}`)
          }
        }
        if (problems.length > 0) {
          // Names and what is wrong only: the value may be a secret.
          throw new KoyaError('KL_API_VALIDATION', `Nothing was written to .env: ${problems.join('; ')}.`, {
            hint: declared.size > 0 ? `Declared variables: ${[...declared.keys()].join(', ')}; each value must satisfy its env('NAME', schema).` : 'koyalite.ts declares no env() variables.',
          })
        }
        const written = await edits.writeEnv(values)
        admin.audit.record({ actorId, subjectId: null, action: 'studio.env.edit', reason: null, requestId: request.id, detail: { set: Object.keys(values).filter((n) => values[n] !== null), removed: Object.keys(values).filter((n) => values[n] === null) } })
        return envState(written)
      },
    },
  })
}
