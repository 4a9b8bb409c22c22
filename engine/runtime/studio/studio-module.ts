import type { FastifyRequest } from 'fastify'
import { SQL_ROW_LIMIT, SQL_TIME_LIMIT_MS, STUDIO_ROUTE_IDS, studioRoutes } from '../../ir/routes/studio-routes.ts'
import { requireAdmin } from '../admin/admin-routes.ts'
import { registerContractRoutes } from '../http/route-contract.ts'
import { defineModule } from '../modules/feature-module.ts'
import { createFirstAdmin, needsStudioSetup, newSetupToken, setupFields, setupPath, type SetupInput } from './setup.ts'
import type { StudioDevEdits } from '../../ir/routes/studio-dev-routes.ts'
import { registerDevEditRoutes } from './dev-edit-routes.ts'
import { simulate, type SimulateInput } from './simulate.ts'
import { runDevWrite, runReadOnlySql, writeRefused } from './sql-console.ts'
import { readStudioFiles, serveStudio, studioBuildDir } from './static-files.ts'

export interface StudioModuleOptions {
  /**
   * The one-time token of the first-run setup link. The CLI makes one per process and prints the
   * link; without it the module makes its own and logs the link.
   */
  readonly setupToken?: string
  /** Where the built Studio is (default: the koyalite package's dist/studio). */
  readonly buildDir?: string
  /** Serve no Studio at all (its admin routes stay). */
  readonly disabled?: boolean
  /**
   * Schema and policy edits as code: given by `koyalite dev` alone (the edit code, ts-morph and
   * the compiler live in the CLI, never in the runtime), and registered only in dev mode.
   */
  readonly devEdits?: StudioDevEdits
}

/**
 * KoyaLite Studio at `/_/` (the single-page app built from studio/) and the few admin routes it
 * needs besides /api and /admin (first-run setup, estimated counts, the SQL console). Everything
 * else Studio shows it reads through the public API as the signed-in admin. After auth, admin
 * and meta: its routes are admin routes.
 */
export const studioModule = defineModule<StudioModuleOptions | undefined>({
  name: 'studio',
  systemMigrations: [],
  async register(app, runtime, options) {
    if (options?.disabled !== true) {
      const dir = options?.buildDir ?? studioBuildDir()
      serveStudio(app, dir === undefined ? undefined : readStudioFiles(dir))
    }
    const token = options?.setupToken ?? newSetupToken()
    if (options?.setupToken === undefined && needsStudioSetup(runtime.model, runtime.db)) {
      app.log.info(`No admin yet: create the first one at ${setupPath(token)}`)
    }
    const admin = runtime.adminDeps()
    registerContractRoutes(app, {
      ids: STUDIO_ROUTE_IDS,
      routes: studioRoutes(runtime.model).routes,
      isAnonymous: (request: FastifyRequest) => admin.requests.authOf(request).actor.kind === 'anonymous',
      handlers: {
        async studioSetupState() {
          return { needed: needsStudioSetup(runtime.model, runtime.db), fields: setupFields(runtime.model) }
        },
        async studioSetup(request, reply) {
          const deps = { model: runtime.model, db: runtime.db, data: runtime.data, grants: admin.grants, clock: runtime.clock }
          const userId = await createFirstAdmin(deps, token, request.body as SetupInput)
          admin.audit.record({ actorId: userId, subjectId: userId, action: 'studio.setup', reason: 'first admin, from the setup link', requestId: request.id, detail: null })
          return reply.code(201).send({ userId })
        },
        async studioCounts(request) {
          requireAdmin(admin, request)
          const counts: Record<string, number> = {}
          for (const table of runtime.model.tables) {
            // The largest rowid: read from the b-tree's last page, never a scan.
            const row = runtime.db.prepare(`SELECT max("rowid") AS "n" FROM "${table.name}"`).get() as { n: number | null }
            counts[table.name] = row.n ?? 0
          }
          return counts
        },
        async studioSql(request) {
          const { actorId } = requireAdmin(admin, request)
          const { sql, write, confirm } = request.body as { sql: string; write?: boolean; confirm?: boolean }
          if (write === true) {
            if (!runtime.dev || confirm !== true) throw writeRefused()
            const result = runDevWrite(runtime.db, sql, SQL_ROW_LIMIT)
            admin.audit.record({ actorId, subjectId: null, action: 'studio.sql.write', reason: null, requestId: request.id, detail: { sql: sql.slice(0, 2000), changes: result.changes } })
            return result
          }
          return runReadOnlySql(runtime.db.name, sql, { rowLimit: SQL_ROW_LIMIT, timeLimitMs: SQL_TIME_LIMIT_MS })
        },
        async studioSimulate(request) {
          requireAdmin(admin, request)
          return simulate(runtime.data, runtime.model, admin, request.body as SimulateInput)
        },
      },
    })
    if (options?.devEdits !== undefined && runtime.dev) registerDevEditRoutes(app, options.devEdits, admin, { model: runtime.model, env: runtime.env })
  },
})
