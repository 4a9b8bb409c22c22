import type { PolicyExprIR, PolicyValueIR, ProjectIR } from '../../engine/ir/project-ir.ts'
import type { Actor } from '../../engine/runtime/data/data-layer.ts'
import { policyModel } from './policy-schema.ts'

/** Small builders for PolicyExprIR, so rules read close to the TypeScript they stand for. */
export const col = (column: string, scope = 0, path: string[] = []): PolicyValueIR => ({ kind: 'column', scope, path, column })
export const lit = (value: string | number | boolean): PolicyValueIR => ({ kind: 'literal', value })
export const me: PolicyValueIR = { kind: 'authUserId' }
export const eq = (left: PolicyValueIR, right: PolicyValueIR): PolicyExprIR => ({ kind: 'compare', operator: '=', left, right })
export const neq = (left: PolicyValueIR, right: PolicyValueIR): PolicyExprIR => ({ kind: 'compare', operator: '<>', left, right })
export const and = (...exprs: PolicyExprIR[]): PolicyExprIR => ({ kind: 'and', exprs })
export const or = (...exprs: PolicyExprIR[]): PolicyExprIR => ({ kind: 'or', exprs })
export const role = (name: string): PolicyExprIR => ({ kind: 'hasRole', role: name })
/** `<path>.members.some(m => m.userId === auth.userId && extra(m))` from scope 0. */
export const member = (path: string[], extra?: PolicyExprIR): PolicyExprIR => ({
  kind: 'some',
  scope: 0,
  path,
  relation: 'members',
  predicate: extra ? and(eq(col('userId', 1), me), extra) : eq(col('userId', 1), me),
})
const editor = neq(col('role', 1), lit('viewer'))

/**
 * The rules the data-layer and HTTP policy tests run against (the shape of the reference app):
 * members see their workspaces and everything in them; editors create; owners of a task (or
 * admins) change it; only admins delete tasks; members has no create rule.
 */
export const RULES = {
  users: { read: { kind: 'isNull', value: me, negated: true } as PolicyExprIR },
  workspaces: { read: member([]), create: eq(col('ownerId'), me), update: eq(col('ownerId'), me), delete: role('admin') },
  members: { read: member(['workspace']), delete: eq(col('ownerId', 0, ['workspace']), me) },
  projects: {
    read: member(['workspace']),
    create: member(['workspace'], editor),
    // Editors may change a project but not archive it.
    update: { using: member(['workspace'], editor), check: and(member(['workspace'], editor), { kind: 'not', expr: { kind: 'truthy', value: col('archived') } }) },
    delete: eq(col('ownerId', 0, ['workspace']), me),
  },
  tasks: {
    read: member(['project', 'workspace']),
    create: and(eq(col('ownerId'), me), member(['project', 'workspace'], editor)),
    update: or(eq(col('ownerId'), me), role('admin')),
    delete: role('admin'),
  },
} as const

export const policyTestModel = (): ProjectIR => policyModel(RULES as never)

/**
 * The seed: Ada owns workspace w1 (Bob edits in it, Cid views it); Bob owns w2 alone. Dee is in
 * no workspace. Tasks t1–t3 are in w1's project p1, t4 in w2's p2.
 */
export const SEED_SQL = `
  INSERT INTO users (id, name, level) VALUES ('ada', 'Ada', 1), ('bob', 'Bob', 2), ('cid', 'Cid', NULL), ('dee', 'Dee', 3);
  INSERT INTO workspaces (id, name, ownerId) VALUES ('w1', 'Acme', 'ada'), ('w2', 'Bobco', 'bob');
  INSERT INTO members (id, workspaceId, userId, role) VALUES ('m1', 'w1', 'ada', 'owner'), ('m2', 'w1', 'bob', 'editor'), ('m3', 'w1', 'cid', 'viewer'), ('m4', 'w2', 'bob', 'owner');
  INSERT INTO projects (id, workspaceId, name, archived, leadId) VALUES ('p1', 'w1', 'Launch', 0, 'ada'), ('p2', 'w2', 'Secret', NULL, NULL);
  INSERT INTO tasks (id, projectId, title, status, priority, assigneeId, ownerId) VALUES
    ('t1', 'p1', 'Write spec', 'done', 1, 'ada', 'ada'),
    ('t2', 'p1', 'Build it', 'doing', 2, 'bob', 'bob'),
    ('t3', 'p1', 'Ship it', 'todo', NULL, NULL, 'ada'),
    ('t4', 'p2', 'Hidden plan', 'todo', 3, 'bob', 'bob');
`

export const actors = {
  system: { kind: 'system' } as Actor,
  anonymous: { kind: 'anonymous' } as Actor,
  ada: { kind: 'user', userId: 'ada', roles: [] } as Actor,
  bob: { kind: 'user', userId: 'bob', roles: [] } as Actor,
  cid: { kind: 'user', userId: 'cid', roles: [] } as Actor,
  dee: { kind: 'user', userId: 'dee', roles: [] } as Actor,
  admin: { kind: 'user', userId: 'ada', roles: ['admin'] } as Actor,
}
