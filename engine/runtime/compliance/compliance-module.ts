import type { FastifyReply, FastifyRequest } from 'fastify'
import { synchronousOf } from '../../ir/privacy.ts'
import { PRIVACY_ROUTE_IDS, privacyRoutes, type PrivacyRouteId } from '../../ir/routes/privacy-routes.ts'
import { KoyaError } from '../../shared/errors.ts'
import { requireAdmin } from '../admin/admin-routes.ts'
import { verifyPassword } from '../auth/passwords.ts'
import { registerContractRoutes, type RouteHandlers } from '../http/route-contract.ts'
import { defineModule, type Runtime } from '../modules/feature-module.ts'
import { CONSENT_MIGRATIONS, createConsents } from './consents.ts'
import { eraseUser } from './erase.ts'
import { checkHipaa } from './hipaa.ts'
import { auditPhiReads } from './phi-audit.ts'
import { exportUserData } from './export.ts'
import { exportArchiveStream } from './export-archive.ts'

export interface ComplianceOptions {
  /** Least time between two exports of one user by themselves. Default 60 s. */
  readonly exportIntervalMs?: number
}

/**
 * The privacy endpoints (engine/ir/routes/privacy-routes.ts, docs/compliance.md): consents,
 * export and erasure, for apps with a users table. Needs auth (identity, sessions, audit log)
 * before it.
 *
 * @example
 * createServer({ model, db, compliance: { exportIntervalMs: 60_000 } })
 */
export const complianceModule = defineModule<ComplianceOptions | undefined>({
  name: 'compliance',
  systemMigrations: CONSENT_MIGRATIONS,
  async register(app, runtime, options) {
    // The connection the caller opened runs at the level the app asks for (HIPAA mode: FULL).
    if (synchronousOf(runtime.model) === 'full') runtime.db.pragma('synchronous = FULL')
    checkHipaa(runtime.model, runtime.db, runtime.env)
    auditPhiReads(runtime.model, runtime.data, runtime.adminDeps().audit)
    if (!runtime.model.tables.some((t) => t.isUsers)) return
    const deps = runtime.adminDeps()
    registerContractRoutes(app, {
      ids: PRIVACY_ROUTE_IDS,
      routes: privacyRoutes(runtime.model).routes,
      handlers: privacyHandlers(runtime, options?.exportIntervalMs ?? 60_000),
      isAnonymous: (request) => deps.requests.authOf(request).actor.kind === 'anonymous',
    })
  },
})

function privacyHandlers(runtime: Runtime, exportIntervalMs: number): RouteHandlers<PrivacyRouteId> {
  const { model, db, data, clock } = runtime
  const deps = runtime.adminDeps()
  const consents = createConsents(model, db, clock)
  const lastExport = new Map<string, number>()
  const credential = db.prepare('SELECT "passwordHash" FROM "_koya_credentials" WHERE "userId" = ?')

  const userOf = (request: FastifyRequest): string => {
    const { actor } = deps.requests.authOf(request)
    if (actor.kind !== 'user') throw new KoyaError('KL_AUTH_FORBIDDEN', 'This endpoint acts on a signed-in user; the service key has none.', { hint: 'Use the /admin/users/:id endpoints with the service key.' })
    if (actor.impersonatorId !== undefined) throw new KoyaError('KL_AUTH_FORBIDDEN', 'An impersonation cannot change consents, export or erase the user.')
    return actor.userId
  }
  const subjectOf = (request: FastifyRequest): string => {
    const id = (request.params as { id: string }).id
    if (deps.users.findById(id) === undefined) throw new KoyaError('KL_AUTH_USER_NOT_FOUND', 'No user has that id.')
    return id
  }
  const audited = (actorId: string | null, subjectId: string, action: string, request: FastifyRequest, detail: Record<string, unknown> | null) =>
    deps.audit.record({ actorId, subjectId, action, reason: null, requestId: request.id, detail })
  /** The signed-in user, when their last export is old enough (the JSON and the tar share the limit). */
  const exportingUser = (request: FastifyRequest): string => {
    const userId = userOf(request)
    const now = clock().getTime()
    const last = lastExport.get(userId)
    if (last !== undefined && now - last < exportIntervalMs) {
      const retryAfterSeconds = Math.ceil((last + exportIntervalMs - now) / 1000)
      throw new KoyaError('KL_AUTH_RATE_LIMITED', `An export was made ${Math.round((now - last) / 1000)} seconds ago; try again in ${retryAfterSeconds} seconds.`, { details: { retryAfterSeconds } })
    }
    lastExport.set(userId, now)
    return userId
  }
  const sendArchive = async (reply: FastifyReply, userId: string, actorId: string | null, request: FastifyRequest) => {
    const archive = exportUserData(model, data, consents, userId, clock())
    const stream = await exportArchiveStream(data, runtime.storageDriver(), archive)
    audited(actorId, userId, 'user.export', request, { format: 'tar', tables: archive.manifest.tables.map((t) => `${t.name}:${t.rows}`) })
    return reply
      .type('application/gzip')
      .header('content-disposition', `attachment; filename="export-${userId}.tar.gz"`)
      .header('cache-control', 'no-store')
      .send(stream)
  }
  const erase = async (userId: string, actorId: string | null, request: FastifyRequest) => {
    const { report, objectKeys } = eraseUser(model, db, data, userId, () => deps.sessions.revokeAllOf(userId))
    // Committed: the bytes of the user's removed uploads go through the storage driver (local or
    // S3), before the answer, so a client that reads "done" finds them gone.
    const driver = runtime.storageDriver()
    for (const key of objectKeys) {
      await driver?.delete(key).catch((error: unknown) => request.log.error({ err: error, key }, "deleting an erased user's storage object failed"))
    }
    // Ids and counts only: the entry outlives the person.
    audited(actorId, userId, 'user.erase', request, { userRow: report.userRow, tables: report.tables.map((t) => `${t.name}:${t.rule}:${t.rows}`) })
    return report
  }

  return {
    async listConsents(request) {
      return consents.of(userOf(request))
    },
    async setConsent(request) {
      const userId = userOf(request)
      const { purpose, granted } = request.body as { purpose: string; granted: boolean }
      consents.record({ userId, purpose, granted, ip: request.ip, userAgent: request.headers['user-agent'] ?? null })
      return consents.of(userId)
    },
    async exportMe(request) {
      const userId = exportingUser(request)
      const archive = exportUserData(model, data, consents, userId, clock())
      audited(userId, userId, 'user.export', request, { tables: archive.manifest.tables.map((t) => `${t.name}:${t.rows}`) })
      return archive
    },
    async exportMeArchive(request, reply) {
      const userId = exportingUser(request)
      return sendArchive(reply, userId, userId, request)
    },
    async exportUserArchive(request, reply) {
      const { actorId } = requireAdmin(deps, request)
      return sendArchive(reply, subjectOf(request), actorId, request)
    },
    async eraseMe(request) {
      const userId = userOf(request)
      const stored = credential.get(userId) as { passwordHash: string } | undefined
      const { password } = request.body as { password: string }
      if (stored === undefined || !(await verifyPassword(stored.passwordHash, password))) {
        throw new KoyaError('KL_AUTH_INVALID_CREDENTIALS', 'The password is wrong.', { hint: 'Erasing the account asks for the current password again.' })
      }
      return erase(userId, userId, request)
    },
    async exportUser(request) {
      const { actorId } = requireAdmin(deps, request)
      const userId = subjectOf(request)
      const archive = exportUserData(model, data, consents, userId, clock())
      audited(actorId, userId, 'user.export', request, { tables: archive.manifest.tables.map((t) => `${t.name}:${t.rows}`) })
      return archive
    },
    async eraseUser(request) {
      const { actorId } = requireAdmin(deps, request)
      return erase(subjectOf(request), actorId, request)
    },
  }
}
