import type { ColumnIR, ColumnType, IndexIR, PolicyExprIR, PolicyPredicateIR, ProjectIR, RelationIR, TableIR, TablePoliciesIR } from '../../engine/ir/project-ir.ts'
import { printPolicy } from '../../engine/ir/policy-printer.ts'
import { SQLITE_DIALECT } from '../../engine/ir/sql-dialect.ts'
import { planMigration, printSteps } from '../../engine/migrate/index.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'

/**
 * A small hand-built schema for policy tests (no compiler run):
 * users ← workspaces.ownerId; workspaces ← members (workspaceId, userId, role);
 * workspaces ← projects (archived, leadId?); projects ← tasks (status, priority?, assigneeId?, ownerId).
 */
interface ColumnOptions {
  readonly nullable?: boolean
  readonly ref?: string
  readonly values?: readonly string[]
  readonly unique?: boolean
}

function column(name: string, type: ColumnType, options: ColumnOptions = {}): ColumnIR {
  return {
    name,
    type,
    nullable: options.nullable ?? false,
    default: type === 'id' ? { kind: 'uuidv7' } : null,
    unique: options.unique ?? false,
    min: null,
    max: null,
    values: options.values ?? null,
    references: options.ref ? { table: options.ref, column: 'id', onDelete: 'cascade' } : null,
    readOnly: type === 'id',
    jsonSchema: null,
    renamedFrom: null,
  }
}

function table(name: string, typeName: string, columns: ColumnIR[], indexes: IndexIR[], relations: RelationIR[]): TableIR {
  return { name, typeName, isUsers: false, columns, primaryKey: 'id', indexes, relations, search: null, renamedFrom: null }
}

const fk = (tableName: string, col: string): IndexIR => ({ name: `${tableName}_${col}_idx`, columns: [col], unique: false, origin: 'foreignKey' })

export const POLICY_TABLES: readonly TableIR[] = [
  table('members', 'Member', [column('id', 'id'), column('workspaceId', 'ref', { ref: 'workspaces' }), column('userId', 'ref', { ref: 'users' }), column('role', 'enum', { values: ['owner', 'editor', 'viewer'] })], [fk('members', 'userId'), { name: 'members_workspaceId_userId_key', columns: ['workspaceId', 'userId'], unique: true, origin: 'table' }], [
    { kind: 'belongsTo', name: 'user', table: 'users', column: 'userId', nullable: false },
    { kind: 'belongsTo', name: 'workspace', table: 'workspaces', column: 'workspaceId', nullable: false },
  ]),
  table('projects', 'Project', [column('id', 'id'), column('workspaceId', 'ref', { ref: 'workspaces' }), column('name', 'text'), column('archived', 'bool', { nullable: true }), column('leadId', 'ref', { ref: 'users', nullable: true })], [fk('projects', 'leadId'), fk('projects', 'workspaceId')], [
    { kind: 'belongsTo', name: 'lead', table: 'users', column: 'leadId', nullable: true },
    { kind: 'hasMany', name: 'tasks', table: 'tasks', column: 'projectId' },
    { kind: 'belongsTo', name: 'workspace', table: 'workspaces', column: 'workspaceId', nullable: false },
  ]),
  table('tasks', 'Task', [column('id', 'id'), column('projectId', 'ref', { ref: 'projects' }), column('title', 'text'), column('status', 'enum', { values: ['todo', 'doing', 'done'] }), column('priority', 'int', { nullable: true }), column('assigneeId', 'ref', { ref: 'users', nullable: true }), column('ownerId', 'ref', { ref: 'users' })], [fk('tasks', 'assigneeId'), fk('tasks', 'ownerId'), fk('tasks', 'projectId')], [
    { kind: 'belongsTo', name: 'assignee', table: 'users', column: 'assigneeId', nullable: true },
    { kind: 'belongsTo', name: 'owner', table: 'users', column: 'ownerId', nullable: false },
    { kind: 'belongsTo', name: 'project', table: 'projects', column: 'projectId', nullable: false },
  ]),
  table('users', 'User', [column('id', 'id'), column('name', 'text'), column('level', 'int', { nullable: true })], [], [
    { kind: 'hasMany', name: 'assignedTasks', table: 'tasks', column: 'assigneeId' },
    { kind: 'hasMany', name: 'leadProjects', table: 'projects', column: 'leadId' },
    { kind: 'hasMany', name: 'memberships', table: 'members', column: 'userId' },
    { kind: 'hasMany', name: 'ownedTasks', table: 'tasks', column: 'ownerId' },
    { kind: 'hasMany', name: 'ownedWorkspaces', table: 'workspaces', column: 'ownerId' },
  ]),
  table('workspaces', 'Workspace', [column('id', 'id'), column('name', 'text'), column('ownerId', 'ref', { ref: 'users' })], [fk('workspaces', 'ownerId')], [
    { kind: 'hasMany', name: 'members', table: 'members', column: 'workspaceId' },
    { kind: 'belongsTo', name: 'owner', table: 'users', column: 'ownerId', nullable: false },
    { kind: 'hasMany', name: 'projects', table: 'projects', column: 'workspaceId' },
  ]),
]

/** A predicate as the compiler would store it (checked against `tables` by printing it once). */
export function predicate(tableName: string, expr: PolicyExprIR, source = '(row, auth) => …', tables: readonly TableIR[] = POLICY_TABLES): PolicyPredicateIR {
  printPolicy(expr, tableName, tables, SQLITE_DIALECT)
  return { source, at: { file: 'policies/test.ts', line: 1, column: 1 }, expr }
}

export type PolicyRules = Partial<Record<'read' | 'create' | 'delete', PolicyExprIR> & { update: PolicyExprIR | { using: PolicyExprIR; check: PolicyExprIR } }>

/** The TablePoliciesIR of one table from expressions. */
export function tablePolicies(tableName: string, rules: PolicyRules, tables: readonly TableIR[] = POLICY_TABLES): TablePoliciesIR {
  const one = (expr: PolicyExprIR | undefined) => (expr === undefined ? null : predicate(tableName, expr, `${tableName} policy`, tables))
  const update = rules.update === undefined ? null : 'using' in rules.update ? { using: one(rules.update.using)!, check: one(rules.update.check)! } : { using: one(rules.update)!, check: one(rules.update)! }
  return { table: tableName, read: one(rules.read), create: one(rules.create), update, delete: one(rules.delete) }
}

/** A ProjectIR over the policy schema with the given rules per table. */
export function policyModel(rules: Record<string, PolicyRules>, tables: readonly TableIR[] = POLICY_TABLES): ProjectIR {
  return {
    version: 1,
    name: 'policy-test',
    tables,
    policies: Object.keys(rules)
      .sort()
      .map((name) => tablePolicies(name, rules[name]!, tables)),
    roles: ['admin', 'support'],
    auth: {
      email: { enabled: true, verify: false },
      oauth: { github: null, google: null },
      session: { idleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 604800 },
      // Settings the policy tests do not read; asserted so auth's additions to AuthIR do not
      // have to be repeated here.
    } as ProjectIR['auth'],
  }
}

/** An in-memory database with the model's tables. */
export function policyDb(model: ProjectIR): SqliteDatabase {
  const db = openDatabase(':memory:')
  const planned = planMigration({ migrations: [], latestSnapshot: undefined }, model, { allowDataLoss: false, source: 'test' })
  db.exec(printSteps(planned!.steps).join('\n'))
  return db
}
