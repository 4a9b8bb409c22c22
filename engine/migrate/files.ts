import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { KoyaError } from '../shared/errors.ts'
import { SNAPSHOT_VERSION, type SchemaSnapshot } from './snapshot.ts'

export const MIGRATIONS_DIR = 'generated/migrations'

export interface MigrationFile {
  /** `0001` */
  readonly id: string
  /** `0001_init` */
  readonly name: string
  readonly up: string
  readonly down: string
  /** SHA-256 of the up SQL: an applied migration must keep it. */
  readonly checksum: string
}

export interface MigrationSet {
  readonly migrations: readonly MigrationFile[]
  /** The snapshot after the last migration; undefined before the first. */
  readonly latestSnapshot: SchemaSnapshot | undefined
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql).digest('hex')
}

/** Read generated/migrations under `root`, in order. */
export function readMigrations(root: string): MigrationSet {
  const dir = path.join(root, MIGRATIONS_DIR)
  if (!existsSync(dir)) return { migrations: [], latestSnapshot: undefined }
  const migrations = readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file) && !file.endsWith('.down.sql'))
    .sort()
    .map((file): MigrationFile => {
      const name = file.slice(0, -'.sql'.length)
      const up = readFileSync(path.join(dir, file), 'utf8')
      const downPath = path.join(dir, `${name}.down.sql`)
      const down = existsSync(downPath) ? readFileSync(downPath, 'utf8') : ''
      return { id: name.slice(0, 4), name, up, down, checksum: checksumOf(up) }
    })
  const last = migrations.at(-1)
  return { migrations, latestSnapshot: last ? readSnapshot(root, last.id) : undefined }
}

function readSnapshot(root: string, id: string): SchemaSnapshot {
  const file = path.join(root, MIGRATIONS_DIR, 'meta', `${id}.snapshot.json`)
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new KoyaError('KL_MIG_SNAPSHOT', `The snapshot of migration ${id} (${MIGRATIONS_DIR}/meta/${id}.snapshot.json) is missing or not JSON.`, { cause })
  }
  if ((parsed as { version?: unknown })?.version !== SNAPSHOT_VERSION || !Array.isArray((parsed as { tables?: unknown }).tables)) {
    throw new KoyaError('KL_MIG_SNAPSHOT', `The snapshot of migration ${id} has an unknown format.`)
  }
  return parsed as SchemaSnapshot
}
