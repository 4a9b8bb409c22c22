import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { KoyaError } from '../../shared/errors.ts'
import { isEncryptedFile, openDatabase } from '../../shared/sqlite.ts'
import { openBackup, syncFile, type BackupManifest } from './backup.ts'

export interface RestoreOptions {
  /** Replace an existing database (it is kept beside as `<file>.pre-restore-<instant>`). */
  readonly force: boolean
  /** The ids of the project's migrations (generated/migrations): the schema versions it knows. */
  readonly knownMigrations: readonly string[]
  readonly clock?: () => Date
  /** The app's database key: opens an encrypted backup, and the encrypted database it replaces. */
  readonly encryption?: { readonly key: string }
  /** The local storage driver's root: a backup's storage objects replace it (the old tree is kept beside). */
  readonly storage?: string
  /** Top-level folders of `storage` (the backups bucket) carried over into the restored tree rather than replaced. */
  readonly keepStorage?: readonly string[]
}

export interface RestoreReport {
  readonly manifest: BackupManifest
  /** The project's migrations the backup has not applied: `koyalite migrate up` applies them. */
  readonly pending: readonly string[]
  /** Where the database that was replaced now is, if there was one. */
  readonly keptAs: string | undefined
  /** Where the storage tree that was replaced now is, if the backup had objects and there was one. */
  readonly storageKeptAs?: string
}

/**
 * Restore `archive` into the database file `target`, atomically: the backup is checked
 * (openBackup), its schema version compared with the project's migrations, copied next to the
 * target and fsynced, and only then renamed into place. An existing database is replaced only
 * with `force`, never while a process holds it open (Linux: /proc is read to know; a process
 * /proc does not show, in another container, by the -wal/-shm its connection keeps), and is kept
 * beside the new one rather than deleted.
 *
 * @throws KoyaError KL_BACKUP_NOT_FOUND, KL_BACKUP_CORRUPT, KL_BACKUP_SCHEMA_NEWER,
 *   KL_BACKUP_TARGET_EXISTS, KL_BACKUP_LIVE
 */
export async function restoreBackup(archive: string, target: string, options: RestoreOptions): Promise<RestoreReport> {
  const file = realPathOf(target)
  const holders = processesHolding(file)
  if (holders.length > 0) {
    throw new KoyaError('KL_BACKUP_LIVE', `${file} is open in process ${holders.join(', ')}: a live database is not replaced under a running server.`, {
      hint: 'Stop the server (and `koyalite dev`) using this database, then restore again.',
    })
  }
  const exists = existsSync(file)
  if (exists && !options.force) {
    throw new KoyaError('KL_BACKUP_TARGET_EXISTS', `${file} already exists.`, { hint: 'Pass --force to replace it (the current file is kept beside it), or restore to another file with --db.' })
  }
  mkdirSync(path.dirname(file), { recursive: true })
  const work = mkdtempSync(path.join(path.dirname(file), '.koya-restore-'))
  try {
    const { manifest, database, storage } = await openBackup(path.resolve(archive), work, options.encryption)
    const known = new Set(options.knownMigrations)
    const unknown = manifest.migrations.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      throw new KoyaError('KL_BACKUP_SCHEMA_NEWER', `The backup has migrations this project does not know: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`, {
        hint: 'Restore it with the version of the app that made it (its generated/migrations), or pull that version first.',
      })
    }
    const staged = `${file}.restoring`
    copyFileSync(database, staged)
    syncFile(staged)
    let keptAs: string | undefined
    if (exists) {
      // The last connection to close a WAL database checkpoints it into the file: the copy kept
      // beside is then whole, and no stale -wal is left to be replayed onto the restored file.
      openDatabase(file, isEncryptedFile(file) && options.encryption !== undefined ? { encryption: options.encryption } : {}).close()
      // The last connection to close also deletes the -wal and -shm: if they outlive ours, another
      // connection holds SQLite's shared lock on the file, from a process /proc does not show
      // (another container on the volume, another user).
      const residue = [`${file}-wal`, `${file}-shm`].filter((leftover) => existsSync(leftover))
      if (residue.length > 0) {
        throw new KoyaError('KL_BACKUP_LIVE', `${file} is open in another process (its ${path.basename(residue[0]!)} outlived this connection): a live database is not replaced under a running server.`, {
          hint: 'Stop the server (and `koyalite dev`) using this database, in every container that mounts it, then restore again.',
        })
      }
      keptAs = `${file}.pre-restore-${(options.clock ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-')}`
      renameSync(file, keptAs)
    }
    // The objects are staged beside their root before the database is swapped, so both renames follow.
    const stagedStorage = storage !== undefined && options.storage !== undefined ? stageStorage(storage, path.resolve(options.storage)) : undefined
    for (const leftover of [`${file}-wal`, `${file}-shm`]) rmSync(leftover, { force: true })
    renameSync(staged, file)
    syncFile(path.dirname(file))
    const instant = (options.clock ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-')
    if (stagedStorage !== undefined) carryOver(path.resolve(options.storage!), stagedStorage, options.keepStorage ?? [])
    const storageKeptAs = stagedStorage === undefined ? undefined : swapStorage(stagedStorage, path.resolve(options.storage!), instant)
    return { manifest, pending: options.knownMigrations.filter((id) => !manifest.migrations.includes(id)), keptAs, ...(storageKeptAs !== undefined ? { storageKeptAs } : {}) }
  } finally {
    rmSync(work, { recursive: true, force: true })
    rmSync(`${file}.restoring`, { force: true })
    if (options.storage !== undefined) rmSync(`${path.resolve(options.storage)}.restoring`, { recursive: true, force: true })
  }
}

/** Move the extracted objects next to the storage root (one file system, so the swap is a rename). */
function stageStorage(extracted: string, root: string): string {
  mkdirSync(path.dirname(root), { recursive: true })
  const staged = `${root}.restoring`
  rmSync(staged, { recursive: true, force: true })
  cpSync(extracted, staged, { recursive: true })
  return staged
}

/** Move the folders that are not the backup's to restore (the backups bucket) from the live tree into the staged one. */
function carryOver(root: string, staged: string, names: readonly string[]): void {
  for (const name of names) {
    const from = path.join(root, name)
    if (!existsSync(from)) continue
    rmSync(path.join(staged, name), { recursive: true, force: true })
    renameSync(from, path.join(staged, name))
  }
}

/** Put the staged tree in place of the root; the old one is kept beside it. Its new name, if there was one. */
function swapStorage(staged: string, root: string, instant: string): string | undefined {
  let keptAs: string | undefined
  if (existsSync(root)) {
    keptAs = `${root}.pre-restore-${instant}`
    renameSync(root, keptAs)
  }
  renameSync(staged, root)
  syncFile(path.dirname(root))
  return keptAs
}

/**
 * The database's real path: /proc names the files a process holds by it, so a path through a
 * symlink (a mounted volume's directory, a linked file) would find no holder; and the swap must
 * replace the file a server opens, not a link to it.
 */
function realPathOf(target: string): string {
  const resolved = path.resolve(target)
  try {
    return realpathSync(resolved)
  } catch {
    try {
      return path.join(realpathSync(path.dirname(resolved)), path.basename(resolved))
    } catch {
      return resolved // nothing of it exists yet: created below as given
    }
  }
}

/**
 * Pids of other processes with the database (or its -wal/-shm) open, read from /proc (Linux).
 * Elsewhere, or where /proc cannot be read, none are found: the check is a guard, not a lock.
 */
export function processesHolding(file: string): number[] {
  const names = new Set([file, `${file}-wal`, `${file}-shm`])
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
  } catch {
    return []
  }
  const holders: number[] = []
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // gone, or another user's
    }
    const holds = fds.some((fd) => {
      try {
        return names.has(readlinkSync(`/proc/${pid}/fd/${fd}`))
      } catch {
        return false
      }
    })
    if (holds) holders.push(Number(pid))
  }
  return holders
}
