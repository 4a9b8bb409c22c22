import type { EnvRef } from './config.ts'

/**
 * A purpose a user may consent to (docs/compliance.md). Raising `version` (a new text of the
 * consent) makes earlier grants stop counting: `auth.consents` lists a purpose only when the
 * user granted its current version.
 *
 * @example
 * consents: { marketing: { version: 2, description: 'Product news by email, at most monthly.' } }
 */
export interface ConsentDef {
  /** A whole number from 1; raise it when the consent's text changes. */
  readonly version: number
  /** What the user agrees to, as shown to them. */
  readonly description: string
}

/**
 * How the database file is opened. With `encryption`, the file, its WAL and its backups are
 * encrypted with SQLCipher; the key comes from the environment. `synchronous: 'full'` fsyncs the
 * WAL at every commit, so a committed write survives a power loss (HIPAA mode's default);
 * `'normal'` (the default otherwise) is durable at checkpoints and never corrupts.
 *
 * @example
 * database: { encryption: { key: env('KOYA_DB_KEY') }, synchronous: 'full' }
 */
export interface DatabaseDef {
  readonly encryption?: { readonly key: EnvRef }
  readonly synchronous?: 'normal' | 'full'
  /**
   * Continuous replication of the database file in the Docker stack: `'litestream'` adds a
   * Litestream container that streams the WAL to S3 (the stack's SeaweedFS, or any S3 given by
   * `KOYA_REPLICA_*`), restorable to any second within its retention (docs/backup.md). Not with
   * `encryption` (Litestream reads the file's pages).
   */
  readonly replicate?: 'litestream'
}

/**
 * Compliance modes. `hipaa: true` refuses to start unless every HIPAA requirement KoyaLite can
 * check holds (docs/compliance.md lists them), audits every read of a `.phi()` column and
 * redacts PHI from logs.
 *
 * @example
 * compliance: { hipaa: true }
 */
export interface ComplianceDef {
  readonly hipaa?: boolean
}

/** The CCPA "do not sell or share my personal information" flag: a purpose every app has. */
export const DO_NOT_SELL_PURPOSE = 'doNotSell'
