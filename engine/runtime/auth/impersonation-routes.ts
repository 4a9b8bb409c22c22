import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KoyaError } from '../../shared/errors.ts'
import type { RouteHandlers } from '../http/route-contract.ts'
import type { AuthContext } from './auth-context.ts'
import { requireSession } from './auth-routes.ts'
import { isWrite } from './request-auth.ts'
import type { WriteEvent } from '../data/write-events.ts'
import type { Session } from './session-store.ts'

/** How long an impersonation lasts at most (and never past the admin's own session). */
export const IMPERSONATION_LIFETIME_MS = 60 * 60 * 1000

/** Requests that wrote their own audit entry (start, stop): the write hook skips them. */
const selfAudited = new WeakSet<FastifyRequest>()

export function recordImpersonationStop(ctx: AuthContext, request: FastifyRequest, session: Session): void {
  ctx.audit.record({ actorId: session.impersonatorId, subjectId: session.userId, action: 'impersonation.stop', reason: session.reason, requestId: request.id, detail: null })
  selfAudited.add(request)
}

/**
 * POST /auth/impersonate and /auth/impersonate/stop. Writes made while impersonating are
 * audited by registerImpersonationAudit.
 *
 * @example
 * const { impersonate, stopImpersonating } = impersonationHandlers(ctx)
 */
export function impersonationHandlers(ctx: AuthContext): RouteHandlers<'impersonate' | 'stopImpersonating'> {
  const { audit, users, sessions, grants, requests } = ctx
  return {
    async impersonate(request, reply) {
      const { actor, session } = requests.authOf(request)
      if (actor.kind === 'anonymous') throw new KoyaError('KL_AUTH_REQUIRED', 'Impersonation needs an admin\'s session.')
      if (actor.kind === 'system' || session === undefined) {
        throw new KoyaError('KL_AUTH_IMPERSONATION', 'The service key cannot impersonate: the audit log needs the admin who does.', { hint: 'Sign in as an admin and impersonate with that session.' })
      }
      if (session.impersonatorId !== null) throw new KoyaError('KL_AUTH_IMPERSONATION', 'An impersonation session cannot start another impersonation.')
      if (!actor.roles.includes('admin')) throw new KoyaError('KL_AUTH_FORBIDDEN', 'Only an admin may impersonate.')
      const { userId, reason: given } = request.body as { userId: string; reason: string }
      const reason = given.trim()
      if (reason === '') throw new KoyaError('KL_API_VALIDATION', 'The request body is invalid: /reason is blank.', { hint: 'Say why you impersonate the user (a ticket number, a support request); it goes into the audit log.' })
      const target = users.findById(userId)
      if (target === undefined) throw new KoyaError('KL_AUTH_USER_NOT_FOUND', 'No user has that id.')
      if (target.id === actor.userId) throw new KoyaError('KL_AUTH_IMPERSONATION', 'An admin cannot impersonate themselves.')
      if (grants.rolesOf(target.id).includes('admin')) throw new KoyaError('KL_AUTH_IMPERSONATION', 'An admin cannot impersonate another admin.')
      const { issued } = sessions.createImpersonation(session, target.id, reason, new Date(ctx.clock().getTime() + IMPERSONATION_LIFETIME_MS))
      audit.record({ actorId: actor.userId, subjectId: target.id, action: 'impersonation.start', reason, requestId: request.id, detail: { expiresAt: issued.expiresAt } })
      selfAudited.add(request)
      // A bearer token only: the admin's own cookie session stays as it is.
      const body = `{"user":${users.readUser(target.id)},"session":${JSON.stringify(issued)},"impersonator":${JSON.stringify({ id: actor.userId })}}`
      return reply.code(201).type('application/json; charset=utf-8').send(body)
    },

    async stopImpersonating(request, reply) {
      const session = requireSession(ctx, request)
      if (session.impersonatorId === null) throw new KoyaError('KL_AUTH_IMPERSONATION', 'This session is not an impersonation.', { hint: 'Send the impersonation session\'s token; to sign out, use POST /auth/logout.' })
      sessions.revoke(session.id)
      recordImpersonationStop(ctx, request, session)
      return reply.code(204).send()
    },
  }
}

/** Requests whose writes were audited and whose response has not been sent yet, at most. */
const MAX_PENDING_AUDITED = 10_000

/** The most row ids one audit entry of an impersonated write lists (its `rows` counts them all). */
const MAX_AUDITED_IDS = 100

/**
 * The audit of every write made while impersonating. A write through the data layer is audited
 * by a write-event subscriber inside its own transaction, so no committed write ever lacks its
 * entry (a crash between the commit and the response cannot lose it): one entry per write, naming
 * the table, the operation and the rows. Other writes an impersonation session makes (its own
 * /auth requests) are audited when they succeed, by an onResponse hook.
 *
 * @example
 * registerImpersonationAudit(app, ctx)
 */
export function registerImpersonationAudit(app: FastifyInstance, ctx: AuthContext): void {
  const { audit, requests } = ctx
  // Requests whose writes the subscriber audited: the hook does not audit them again.
  const auditedInTransaction = new Set<string>()
  ctx.data.events.subscribe({
    phase: 'transaction',
    actors: (actor) => actor.kind === 'user' && actor.impersonatorId !== undefined,
    handle(events) {
      const { actor, requestId } = events[0]!
      if (actor.kind !== 'user' || actor.impersonatorId === undefined) return
      // One entry per table and operation of the write (an upsert may both create and update).
      const groups = new Map<string, WriteEvent[]>()
      for (const event of events) {
        const key = `${event.table}\0${event.operation}`
        groups.set(key, [...(groups.get(key) ?? []), event])
      }
      for (const group of groups.values()) {
        const { table, operation } = group[0]!
        const ids = group.map((e) => String((e.new ?? e.old)?.id))
        audit.record({
          actorId: actor.impersonatorId,
          subjectId: actor.userId,
          action: 'impersonation.write',
          reason: actor.impersonationReason ?? null,
          requestId: requestId ?? null,
          detail: { table, operation, rows: ids.length, ids: ids.slice(0, MAX_AUDITED_IDS) },
        })
      }
      if (requestId !== undefined) {
        auditedInTransaction.add(requestId)
        // A request that never reaches onResponse (its client went away) must not keep its id
        // forever: the oldest go first.
        if (auditedInTransaction.size > MAX_PENDING_AUDITED) auditedInTransaction.delete(auditedInTransaction.values().next().value!)
      }
    },
  })
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    try {
      const audited = auditedInTransaction.delete(request.id)
      if (!audited && isWrite(request) && reply.statusCode < 400 && !selfAudited.has(request)) auditImpersonatedWrite(request, reply)
    } finally {
      done()
    }
  })

  function auditImpersonatedWrite(request: FastifyRequest, reply: FastifyReply): void {
    const { session } = requests.authOf(request)
    if (session?.impersonatorId == null) return
    audit.record({
      actorId: session.impersonatorId,
      subjectId: session.userId,
      action: 'impersonation.write',
      reason: session.reason,
      requestId: request.id,
      detail: { method: request.method, url: request.url, status: reply.statusCode },
    })
  }
}
