import type { ProjectIR } from '../../ir/project-ir.ts'
import { CONSENT_STATE_TABLE } from '../../ir/privacy.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import type { SystemMigration } from '../system/system-schema.ts'

/**
 * `_koya_consents`: every choice a user made (who, purpose, version, granted or withdrawn, when,
 * from which address and user agent), append-only; `_koya_consent_state`: the latest choice per
 * user and purpose, written in the same transaction, which `auth.consents.includes(…)` reads.
 */
export const CONSENT_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'compliance_0001_consents',
    sql: `CREATE TABLE "_koya_consents" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "userId" TEXT NOT NULL,
  "purpose" TEXT NOT NULL,
  "version" INTEGER NOT NULL,
  "granted" INTEGER NOT NULL CHECK ("granted" IN (0, 1)),
  "at" TEXT NOT NULL,
  "ip" TEXT,
  "userAgent" TEXT
) STRICT;
CREATE INDEX "_koya_consents_userId_idx" ON "_koya_consents" ("userId", "at");
CREATE TABLE "${CONSENT_STATE_TABLE}" (
  "userId" TEXT NOT NULL,
  "purpose" TEXT NOT NULL,
  "version" INTEGER NOT NULL,
  "granted" INTEGER NOT NULL CHECK ("granted" IN (0, 1)),
  "at" TEXT NOT NULL,
  PRIMARY KEY ("userId", "purpose")
) STRICT, WITHOUT ROWID;`,
  },
]

/** A purpose with the user's latest choice, as `GET /auth/me/consents` answers. */
export interface ConsentState {
  readonly purpose: string
  readonly description: string
  readonly version: number
  readonly granted: boolean
  readonly grantedVersion: number | null
  readonly at: string | null
}

export interface ConsentChoice {
  readonly userId: string
  readonly purpose: string
  readonly granted: boolean
  readonly ip: string | null
  readonly userAgent: string | null
}

/** The CCPA flag every app has, with the declared purposes, sorted by name. */
export function purposesOf(model: ProjectIR): { readonly name: string; readonly version: number; readonly description: string }[] {
  return [{ name: 'doNotSell', version: 1, description: 'Do not sell or share my personal information (CCPA).' }, ...(model.consents ?? [])].sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * The consent store.
 *
 * @example
 * const consents = createConsents(model, db, clock)
 * consents.record({ userId, purpose: 'marketing', granted: true, ip: request.ip, userAgent: null })
 * consents.of(userId) // [{ purpose: 'doNotSell', granted: false, … }, { purpose: 'marketing', granted: true, … }]
 */
export function createConsents(model: ProjectIR, db: SqliteDatabase, clock: () => Date) {
  const purposes = purposesOf(model)
  const insert = db.prepare('INSERT INTO "_koya_consents" ("id", "userId", "purpose", "version", "granted", "at", "ip", "userAgent") VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  const upsert = db.prepare(`INSERT INTO "${CONSENT_STATE_TABLE}" ("userId", "purpose", "version", "granted", "at") VALUES (?, ?, ?, ?, ?)
    ON CONFLICT ("userId", "purpose") DO UPDATE SET "version" = excluded."version", "granted" = excluded."granted", "at" = excluded."at"`)
  const state = db.prepare(`SELECT "purpose", "version", "granted", "at" FROM "${CONSENT_STATE_TABLE}" WHERE "userId" = ?`)
  const history = db.prepare('SELECT "purpose", "version", "granted", "at", "ip", "userAgent" FROM "_koya_consents" WHERE "userId" = ? ORDER BY "at", "id"')
  return {
    record(choice: ConsentChoice): void {
      const purpose = purposes.find((p) => p.name === choice.purpose)
      if (purpose === undefined) throw new RangeError(`unknown purpose ${choice.purpose}`) // the route's schema lists the purposes
      const now = clock()
      db.transaction(() => {
        insert.run(uuidv7(now.getTime()), choice.userId, purpose.name, purpose.version, choice.granted ? 1 : 0, now.toISOString(), choice.ip, choice.userAgent)
        upsert.run(choice.userId, purpose.name, purpose.version, choice.granted ? 1 : 0, now.toISOString())
      })()
    },
    of(userId: string): ConsentState[] {
      const rows = new Map((state.all(userId) as { purpose: string; version: number; granted: 0 | 1; at: string }[]).map((r) => [r.purpose, r]))
      return purposes.map((p) => {
        const row = rows.get(p.name)
        return { purpose: p.name, description: p.description, version: p.version, granted: row !== undefined && row.granted === 1 && row.version >= p.version, grantedVersion: row?.version ?? null, at: row?.at ?? null }
      })
    },
    history(userId: string): unknown[] {
      return (history.all(userId) as { granted: 0 | 1 }[]).map((r) => ({ ...r, granted: r.granted === 1 }))
    },
    /** The purposes whose current version the user granted: `auth.consents`. */
    grantedBy(userId: string): string[] {
      return this.of(userId).filter((c) => c.granted).map((c) => c.purpose)
    },
  }
}

export type Consents = ReturnType<typeof createConsents>
