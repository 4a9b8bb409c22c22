import { copyFileSync, existsSync, realpathSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { KoyaError } from '../../shared/errors.ts'
import { isEncryptedFile, openDatabase, rekeyDatabaseFile } from '../../shared/sqlite.ts'
import { syncFile } from '../backup/backup.ts'
import { processesHolding } from '../backup/restore.ts'
import { inspectConnection } from '../backup/snapshot.ts'

/** What `koyalite db encrypt | decrypt | rekey` does to the file (docs/compliance.md). */
export type CipherChange =
  | { readonly kind: 'encrypt'; readonly key: string }
  | { readonly kind: 'decrypt'; readonly key: string }
  | { readonly kind: 'rekey'; readonly key: string; readonly newKey: string }

export interface CipherChangeReport {
  /** The database's real path, the file that was replaced. */
  readonly file: string
  /** Rows per table, the same before and after (checked). */
  readonly tables: Readonly<Record<string, number>>
}

/**
 * Encrypt, decrypt or re-key a database file, safe against a crash at any point: the file is
 * checkpointed and closed, copied beside itself (`<file>.koya-cipher`), the copy re-keyed, then
 * checked (it opens with the new key, passes `integrity_check` and has the same tables and row
 * counts as the original) and fsynced, and only then renamed over the original. Until the rename
 * the original is untouched; after it, the new file is whole. Refused while another process holds
 * the file (a running server), or when the file is not in the state the change starts from.
 *
 * @throws KoyaError KL_COMPLIANCE_DB_IN_USE, KL_COMPLIANCE_CIPHER_STATE, KL_COMPLIANCE_WRONG_KEY,
 *   KL_COMPLIANCE_CIPHER_VERIFY
 * @example
 * changeDatabaseCipher('data/koya.db', { kind: 'encrypt', key: process.env.KOYA_DB_KEY! })
 */
export function changeDatabaseCipher(target: string, change: CipherChange): CipherChangeReport {
  if (!existsSync(target)) throw new KoyaError('KL_CLI_DATABASE', `There is no database at ${target}.`, { hint: 'Pass the database with --db (or KOYA_DB).' })
  // /proc names held files by their real path; and the swap must replace the file, not a link.
  const file = realpathSync(target)
  refuseIfHeld(file, processesHolding(file).map((pid) => `process ${pid}`))
  const encrypted = isEncryptedFile(file)
  if (change.kind === 'encrypt' && encrypted) throw new KoyaError('KL_COMPLIANCE_CIPHER_STATE', `${file} is already encrypted.`, { hint: 'To change its key, run `koyalite db rekey`.' })
  if (change.kind !== 'encrypt' && !encrypted) throw new KoyaError('KL_COMPLIANCE_CIPHER_STATE', `${file} is not encrypted.`, { hint: 'To encrypt it, run `koyalite db encrypt`.' })
  const from = change.kind === 'encrypt' ? undefined : change.key
  const to = change.kind === 'decrypt' ? undefined : change.kind === 'rekey' ? change.newKey : change.key
  if (to !== undefined && to.length === 0) throw new KoyaError('KL_COMPLIANCE_WRONG_KEY', 'The new encryption key is empty.')

  // Opening checks the current key; closing the last connection checkpoints the WAL into the file
  // and deletes it, so the copy below is the whole database.
  const before = inspect(file, from)
  const residue = [`${file}-wal`, `${file}-shm`].filter((leftover) => existsSync(leftover))
  refuseIfHeld(file, residue.length > 0 ? [`another process (its ${path.basename(residue[0]!)} outlived this connection)`] : [])

  const staged = `${file}.koya-cipher`
  try {
    rmSync(staged, { force: true }) // left by a run that crashed: the original is still whole
    copyFileSync(file, staged)
    rekeyDatabaseFile(staged, from, to)
    const after = inspect(staged, to)
    if (isEncryptedFile(staged) !== (to !== undefined) || !sameTables(before, after)) {
      throw new KoyaError('KL_COMPLIANCE_CIPHER_VERIFY', `The ${change.kind}ed copy of ${file} does not match the original; the original is unchanged.`)
    }
    syncFile(staged)
    renameSync(staged, file)
    syncFile(path.dirname(file))
    return { file, tables: after }
  } finally {
    for (const leftover of [staged, `${staged}-wal`, `${staged}-shm`, `${staged}-journal`]) rmSync(leftover, { force: true })
  }
}

function refuseIfHeld(file: string, holders: readonly string[]): void {
  if (holders.length === 0) return
  throw new KoyaError('KL_COMPLIANCE_DB_IN_USE', `${file} is open in ${holders.join(', ')}: its encryption is not changed under a running server.`, {
    hint: 'Stop the server (and `koyalite dev`) using this database, in every container that mounts it, then run the command again.',
  })
}

/** Open with `key` (a wrong one is KL_COMPLIANCE_WRONG_KEY), check integrity, count rows. */
function inspect(file: string, key: string | undefined): Readonly<Record<string, number>> {
  // Read-write, so that closing it checkpoints and removes the WAL (a read-only one leaves it).
  const db = openDatabase(file, key === undefined ? {} : { encryption: { key } })
  try {
    return inspectConnection(db).tables
  } finally {
    db.close()
  }
}

function sameTables(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const names = Object.keys(a)
  return names.length === Object.keys(b).length && names.every((name) => b[name] === a[name])
}
