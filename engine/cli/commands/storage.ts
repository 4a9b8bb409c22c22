import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { withStorageObjects, OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import { applySystemSchema, loadModel, systemMigrations } from '../../runtime/index.ts'
import { createDataLayer, type Actor } from '../../runtime/data/data-layer.ts'
import type { Where } from '../../runtime/data/query.ts'
import { createStorageDriver, defaultStorageRoot } from '../../runtime/storage/drivers/index.ts'
import type { ObjectRow } from '../../runtime/storage/object-handlers.ts'
import { storeObject } from '../../runtime/storage/object-store.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databasePath, openCliDatabase } from '../database-path.ts'
import { colors } from '../io.ts'

const SYSTEM: Actor = { kind: 'system' }

export const storageCommand: Command = {
  usage: `koyalite storage <ls|put|get|rm> <bucket> … [--db file]

  Operate on a bucket's objects as the service role (every access rule bypassed), on the
  database and storage driver the server uses (KOYA_STORAGE_DRIVER, KOYA_STORAGE_DIR).

  ls <bucket> [--prefix p] [--owner userId]   list objects: id, size, type, name
  put <bucket> <file> [--name name]           upload a file (limits and types still apply)
  get <bucket> <id> [--out file]              download (default: the object's name, here)
  rm <bucket> <id>                            delete an object and its bytes

  --db <file>      the SQLite database (default: $KOYA_DB, else ./data/koya.db)`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('storage', args, { db: { type: 'string' }, prefix: { type: 'string' }, owner: { type: 'string' }, name: { type: 'string' }, out: { type: 'string' } })
    const [action, bucketName, target] = positionals
    const usage = (message: string) => new KoyaError('KL_CLI_USAGE', message, { hint: 'Run `koyalite storage --help`.' })
    if (action !== 'ls' && action !== 'put' && action !== 'get' && action !== 'rm') throw usage(action === undefined ? 'storage needs ls, put, get or rm.' : `storage has no action "${action}".`)
    const model = loadModel(io.cwd)
    const bucket = (model.buckets ?? []).find((b) => b.name === bucketName)
    if (bucket === undefined) throw new KoyaError('KL_STORAGE_UNKNOWN_BUCKET', `The app has no bucket "${bucketName ?? ''}".`, { hint: `Buckets: ${(model.buckets ?? []).map((b) => b.name).join(', ') || 'none'}.` })
    if (action !== 'ls' && target === undefined) throw usage(`storage ${action} needs ${action === 'put' ? 'a file' : 'an object id'}.`)
    const c = colors(io)
    const file = databasePath(io, values.db)
    if (file !== ':memory:' && !existsSync(file)) throw new KoyaError('KL_CLI_DATABASE', `There is no database at ${file}.`, { hint: 'Pass the database the server uses with --db (or KOYA_DB).' })
    const db = openCliDatabase(file)
    const driver = await createStorageDriver(io.env, defaultStorageRoot(file, io.env))
    try {
      applySystemSchema(db, systemMigrations())
      const data = createDataLayer(withStorageObjects(model), db)
      const one = (id: string) => data.findOne<'objects'>(SYSTEM, { table: OBJECTS_TABLE, where: { kind: 'and', where: [eq('id', id), eq('bucket', bucket.name)] } }, { as: 'objects' }) as unknown as ObjectRow | undefined
      switch (action) {
        case 'ls': {
          const where: Where[] = [eq('bucket', bucket.name), ...(values.owner ? [eq('ownerId', values.owner)] : []), ...(values.prefix ? [{ kind: 'compare', column: 'name', operator: 'gte', value: values.prefix } as const, { kind: 'compare', column: 'name', operator: 'lt', value: `${values.prefix}\u{10FFFF}` } as const] : [])]
          const rows = data.list<'objects'>(SYSTEM, { table: OBJECTS_TABLE, where: { kind: 'and', where }, orderBy: [{ column: 'name' }, { column: 'id' }], limit: 10_000 }, { as: 'objects' }).rows as unknown as ObjectRow[]
          for (const row of rows) io.out(`${row.id}  ${String(row.size).padStart(10)}  ${row.contentType.padEnd(24)}  ${row.name}`)
          return 0
        }
        case 'put': {
          const source = path.resolve(io.cwd, target!)
          if (!existsSync(source)) throw new KoyaError('KL_CLI_USAGE', `There is no file ${source}.`)
          const row = await storeObject({ data, db, driver }, bucket, SYSTEM, createReadStream(source), { name: values.name ?? path.basename(source), declaredLength: statSync(source).size })
          io.out(`${c.green('✓')} ${row.id} (${row.size} bytes, ${row.contentType})`)
          return 0
        }
        case 'get': {
          const row = one(target!)
          const body = row === undefined ? undefined : await driver.get(row.key)
          if (row === undefined || body === undefined) throw new KoyaError('KL_STORAGE_NOT_FOUND', `No object "${target}" in bucket "${bucket.name}".`)
          const out = path.resolve(io.cwd, values.out ?? (path.basename(row.name) || row.id))
          await pipeline(body, createWriteStream(out))
          io.out(`${c.green('✓')} ${out} (${row.size} bytes)`)
          return 0
        }
        case 'rm': {
          const row = one(target!)
          if (row === undefined) throw new KoyaError('KL_STORAGE_NOT_FOUND', `No object "${target}" in bucket "${bucket.name}".`)
          data.delete(SYSTEM, { table: OBJECTS_TABLE, target: { id: row.id } })
          await driver.delete(row.key)
          io.out(`${c.green('✓')} deleted ${row.id}`)
          return 0
        }
      }
    } finally {
      await driver.close()
      db.close()
    }
  },
}

const eq = (column: string, value: string): Where => ({ kind: 'compare', column, operator: 'eq', value })
