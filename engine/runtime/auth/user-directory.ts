import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { DataLayer } from '../data/data-layer.ts'
import { lazyStatement } from './lazy-statement.ts'

/** The auth-relevant columns of a user. */
export interface UserRecord {
  readonly id: string
  readonly email: string
  readonly emailVerified: boolean
}

export interface UserDirectory {
  /** By email, as stored (auth stores emails trimmed and lower-cased: see normalizeEmail). */
  findByEmail(email: string): UserRecord | undefined
  findById(id: string): UserRecord | undefined
  /** The user's row as the API shows it (JSON text), read as the system. */
  readUser(id: string): string | undefined
  /** Insert a row of `users` as the system (the data layer validates the values). Returns its id. */
  insertUser(values: Record<string, unknown>): string
  /**
   * The user proved the address (a verification or reset link reached the inbox). Provider links
   * the account held while unverified are dropped: see the body.
   */
  markVerified(id: string): void
  passwordHashOf(userId: string): string | undefined
  setPasswordHash(userId: string, passwordHash: string, now: Date): void
}

const SYSTEM = { kind: 'system' } as const

/**
 * Emails are compared as written by people: surrounding spaces dropped, case folded. Every auth
 * path normalizes before it stores or looks up, so one address is one account.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/**
 * The users table as auth needs it. Rows of `users` are written through the data layer (as the
 * system); the credentials next to them live in `_koya_credentials`.
 *
 * @example
 * const users = createUserDirectory(db, data)
 * const id = users.insertUser({ email: 'ada@example.com', displayName: 'Ada' })
 */
export function createUserDirectory(db: SqliteDatabase, data: DataLayer): UserDirectory {
  // The users table is an application table: read through the data layer like every other.
  const select = (['id', 'email', 'emailVerified'] as const).map((column) => ({ kind: 'column', column }) as const)
  const findBy = (column: 'id' | 'email', value: string): UserRecord | undefined =>
    data.findOne(SYSTEM, { table: 'users', where: { kind: 'compare', column, operator: 'eq', value }, select }, { as: 'objects' }) as UserRecord | undefined
  const credential = lazyStatement(db, 'SELECT "passwordHash" FROM "_koya_credentials" WHERE "userId" = ?')
  const removeLinks = lazyStatement(db, 'DELETE FROM "_koya_oauth_accounts" WHERE "userId" = ?')
  const upsertCredential = lazyStatement(db, `INSERT INTO "_koya_credentials" ("userId", "passwordHash", "updatedAt") VALUES (?, ?, ?)
    ON CONFLICT ("userId") DO UPDATE SET "passwordHash" = excluded."passwordHash", "updatedAt" = excluded."updatedAt"`)
  return {
    findByEmail: (email) => findBy('email', email),
    findById: (id) => findBy('id', id),
    readUser: (id) => data.get(SYSTEM, 'users', id),
    insertUser(values) {
      const written = data.insert(SYSTEM, { table: 'users', rows: [values], returning: [{ kind: 'column', column: 'id' }] })
      return (JSON.parse(written.rows![0]!) as { id: string }).id
    },
    markVerified(id) {
      db.transaction(() => {
        // An unverified account holds provider links only from OAuth sign-ups with an address the
        // provider had not verified (KoyaLite made those before it refused them). Whoever held
        // that provider account never proved the address; the person proving it now would
        // otherwise share the account with them.
        if (findBy('id', id)?.emailVerified === false) removeLinks().run(id)
        data.update(SYSTEM, { table: 'users', target: { id }, patch: { emailVerified: true } })
      })()
    },
    passwordHashOf: (userId) => (credential().all(userId)[0] as { passwordHash: string } | undefined)?.passwordHash,
    setPasswordHash(userId, passwordHash, now) {
      upsertCredential().run(userId, passwordHash, now.toISOString())
    },
  }
}
