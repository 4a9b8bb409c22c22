import path from 'node:path'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { changeDatabaseCipher, type CipherChange } from '../../runtime/compliance/database-cipher.ts'
import { rewriteStoredObjects, type ObjectsRewrite } from '../../runtime/compliance/encrypted-objects.ts'
import { createLocalDriver } from '../../runtime/storage/drivers/local.ts'
import { THUMBNAIL_PREFIX } from '../../runtime/storage/thumbnails.ts'
import { openDatabase } from '../../shared/sqlite.ts'
import { localStorageRootOf } from './backup.ts'
import { loadModel } from '../../runtime/index.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import { databasePath } from '../database-path.ts'
import { withProjectEnv } from '../secrets-env.ts'
import { colors, type CliIO } from '../io.ts'

export const DB_CIPHER_ACTIONS = ['encrypt', 'decrypt', 'rekey'] as const
export type DbCipherAction = (typeof DB_CIPHER_ACTIONS)[number]

export const DB_CIPHER_USAGE = `koyalite db encrypt | decrypt | rekey [--db file] [--key-env NAME] [--new-key-env NAME]

  Encrypts a plain database with SQLCipher, decrypts an encrypted one, or changes its key. The
  database is copied, the copy changed and checked (it opens with the new key, integrity_check,
  same tables and row counts), then swapped in: a crash at any point leaves either the old file
  or the new one. The local storage driver's objects ($KOYA_STORAGE_DIR, else storage/ beside
  the database) follow: encrypt rewrites plain ones encrypted, decrypt the reverse, one atomic
  put each (a mixed set reads fine; --objects-only finishes an interrupted rewrite). Refused while a server holds the database. Keys are read from environment
  variables, the .env files and the secrets provider (as start reads them), never from
  the command line.

  --db <file>            the SQLite database (default: $KOYA_DB, else ./data/koya.db)
  --key-env <NAME>       the variable holding the key (default: the one database.encryption.key
                         names in koyalite.ts, else KOYA_DB_KEY): the new key for encrypt, the
                         current key for decrypt and rekey
  --new-key-env <NAME>   rekey: the variable holding the new key (default: KOYA_DB_NEW_KEY)
  --objects-only         encrypt, decrypt: only bring the storage objects to the database's
                         state (finishes a run that stopped after the database was swapped)`

/** `koyalite db encrypt | decrypt | rekey` (docs/compliance.md). */
export async function runDbCipher(action: DbCipherAction, args: readonly string[], processIo: CliIO): Promise<number> {
  const { values } = parseCommandArgs(`db ${action}`, args, { db: { type: 'string' }, 'key-env': { type: 'string' }, 'new-key-env': { type: 'string' }, 'objects-only': { type: 'boolean' } })
  const io = await withProjectEnv(processIo, { dev: false })
  const file = databasePath(io, values.db)
  if (file === ':memory:') throw new KoyaError('KL_CLI_USAGE', `db ${action} needs a database file, not :memory:.`, { hint: 'Pass --db <file>.' })
  const keyEnv = values['key-env'] ?? configuredKeyEnv(io) ?? 'KOYA_DB_KEY'
  const key = keyFrom(io, keyEnv)
  const change: CipherChange = action === 'rekey' ? { kind: 'rekey', key, newKey: keyFrom(io, values['new-key-env'] ?? 'KOYA_DB_NEW_KEY') } : { kind: action, key }
  if (change.kind === 'rekey' && change.newKey === change.key) throw new KoyaError('KL_CLI_USAGE', 'The new key is the current key.', { hint: 'Set the new key in KOYA_DB_NEW_KEY (or --new-key-env).' })
  if (values['objects-only'] === true) {
    // The database is already in the wanted state (a run stopped between the swap and the objects).
    if (change.kind === 'rekey') throw new KoyaError('KL_CLI_USAGE', '--objects-only goes with db encrypt or db decrypt.', { hint: 'A rekey leaves the storage objects as they are (their key lives in the database).' })
    const objects = await rewriteLocalObjects(io, file, change.kind, change.kind === 'encrypt' ? change.key : undefined)
    io.out(objects === undefined ? 'no local storage objects' : `${colors(io).green('✓')} storage objects: ${objects.rewritten} ${change.kind}ed, ${objects.unchanged} already ${change.kind}ed${objects.missing > 0 ? `, ${objects.missing} missing on disk` : ''}`)
    return 0
  }
  const report = changeDatabaseCipher(file, change)
  const c = colors(io)
  const rows = Object.values(report.tables).reduce((a, b) => a + b, 0)
  const done = { encrypt: 'encrypted', decrypt: 'decrypted', rekey: 're-keyed' }[action]
  io.out(`${c.green('✓')} ${done} ${c.bold(path.relative(io.cwd, report.file) || report.file)}: ${Object.keys(report.tables).length} tables, ${rows} rows, checked`)
  if (change.kind !== 'rekey') {
    const objects = await rewriteLocalObjects(io, report.file, change.kind, change.kind === 'encrypt' ? change.key : undefined)
    if (objects !== undefined) io.out(`  storage objects: ${objects.rewritten} ${change.kind}ed, ${objects.unchanged} already ${change.kind}ed${objects.missing > 0 ? `, ${objects.missing} missing on disk` : ''} (${path.relative(io.cwd, objects.root) || objects.root})`)
  }
  const next = {
    encrypt: `configure database: { encryption: { key: env('${keyEnv}') } } in koyalite.ts and keep ${keyEnv} set`,
    decrypt: 'remove database.encryption from koyalite.ts (and HIPAA mode, which needs it)',
    rekey: `set ${keyEnv} to the new key before the next start`,
  }[action]
  io.out(`  next: ${next}; backups made before keep their old ${action === 'encrypt' ? 'plaintext' : 'key'}`)
  return 0
}

/**
 * The local storage driver's objects follow the database (docs/compliance.md, "Storage
 * objects"): encrypted after `db encrypt`, plain after `db decrypt`. Nothing under the S3 driver
 * or when the storage directory does not exist.
 */
async function rewriteLocalObjects(io: CliIO, file: string, to: 'encrypt' | 'decrypt', key: string | undefined): Promise<(ObjectsRewrite & { root: string }) | undefined> {
  const root = localStorageRootOf(file, io.env, io.cwd)
  if (root === undefined || !existsSync(root)) return undefined
  const db = openDatabase(file, key === undefined ? {} : { encryption: { key } })
  try {
    const driver = await createLocalDriver(root)
    const report = await rewriteStoredObjects(db, driver, to, () => rm(path.join(root, THUMBNAIL_PREFIX), { recursive: true, force: true }))
    await driver.close()
    return { ...report, root }
  } finally {
    db.close()
  }
}

function configuredKeyEnv(io: CliIO): string | undefined {
  try {
    return loadModel(io.cwd).database?.encryption?.key.env
  } catch {
    return undefined // a database outside its project
  }
}

function keyFrom(io: CliIO, name: string): string {
  const key = io.env[name]
  if (key === undefined || key === '') throw new KoyaError('KL_COMPLIANCE_WRONG_KEY', `The key variable $${name} is not set.`, { hint: `Set ${name} to the key (a long random secret; keep it out of version control).` })
  return key
}
