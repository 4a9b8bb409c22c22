/**
 * The SDK's types for the privacy endpoints (engine/ir/routes/privacy-routes.ts): consents,
 * the export archive and the erasure report. Printed for apps with a users table.
 */
export const privacyTypesSource = String.raw`
// ─── Privacy: /auth/me/consents, /auth/me/export, DELETE /auth/me ─────────────────────────────

/** A consent purpose with the user's latest choice. */
export interface ConsentState {
  purpose: string
  description: string
  /** The purpose's current version. */
  version: number
  /** Whether the latest choice grants the current version. */
  granted: boolean
  grantedVersion: number | null
  at: string | null
}

/** Everything the app holds about a user: one array of rows per table, a manifest, the consent history. */
export interface PrivacyExport {
  /** \`format\` names the archive's version (koyalite-export/1). */
  manifest: { format: string; app: string; userId: string; exportedAt: string; tables: { name: string; ownerPath: string; rows: number; personalColumns: string[] }[] }
  tables: { [table: string]: { [column: string]: JsonValue }[] }
  consents: { [key: string]: JsonValue }[]
}

/** What an erasure did, table by table; backups taken before still hold the data (retention). */
export interface ErasureReport {
  userId: string
  tables: { name: string; rule: string; rows: number }[]
  userRow: 'deleted' | 'anonymized'
  sessionsRevoked: number
  retention: string
}
`
