import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { StorageDriver } from '../storage/driver.ts'
import type { PrivacyExport } from './export.ts'

/** One of the user's files in the archive's manifest. */
export interface ExportedFile {
  readonly bucket: string
  readonly id: string
  readonly name: string
  readonly size: number
  readonly contentType: string
  readonly sha256: string
  /** Where the bytes are in the archive: `files/<bucket>/<id>/<name>`. */
  readonly path: string
}

/**
 * The export as a gzipped tar (docs/compliance.md): `manifest.json` (the JSON export's manifest
 * plus the files), `tables/<name>.json` (one array of rows per owned table), `consents.json`, and
 * the user's files (the storage objects they own, in every bucket) under `files/`. Staged in a
 * temporary directory that is removed once the stream ends or fails.
 *
 * @example
 * reply.type('application/gzip').send(await exportArchiveStream(data, runtime.storageDriver(), exportUserData(…)))
 */
export async function exportArchiveStream(data: DataLayer, driver: StorageDriver | undefined, archive: PrivacyExport): Promise<Readable> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-export-'))
  try {
    const files = driver === undefined ? [] : await writeFiles(data, driver, archive.manifest.userId, dir)
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...archive.manifest, files }, null, 2) + '\n')
    mkdirSync(path.join(dir, 'tables'))
    for (const [name, rows] of Object.entries(archive.tables)) writeFileSync(path.join(dir, 'tables', `${name}.json`), JSON.stringify(rows, null, 2) + '\n')
    writeFileSync(path.join(dir, 'consents.json'), JSON.stringify(archive.consents, null, 2) + '\n')
    const entries = ['manifest.json', 'tables', 'consents.json', ...(files.length > 0 ? ['files'] : [])]
    // tar loads with the first archive: most servers never build one.
    const tar = await import('tar')
    const stream = tar.create({ gzip: true, cwd: dir, portable: true }, entries) as unknown as Readable
    const cleanup = () => rmSync(dir, { recursive: true, force: true })
    stream.once('end', cleanup)
    stream.once('error', cleanup)
    stream.once('close', cleanup)
    return stream
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

async function writeFiles(data: DataLayer, driver: StorageDriver, userId: string, dir: string): Promise<ExportedFile[]> {
  const objects = data.list(
    { kind: 'system' },
    { table: OBJECTS_TABLE, where: { kind: 'compare', column: 'ownerId', operator: 'eq', value: userId }, orderBy: [{ column: 'bucket' }, { column: 'id' }] },
    { as: 'objects' },
  ).rows as unknown as { id: string; bucket: string; name: string; size: number; contentType: string; sha256: string; key: string }[]
  const files: ExportedFile[] = []
  for (const object of objects) {
    const bytes = await driver.get(object.key)
    if (bytes === undefined) continue // its row outlived its bytes: nothing to give
    // The id keeps two files of one name apart; the name is made safe for every file system.
    const file = path.posix.join('files', object.bucket, object.id, safeName(object.name))
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true })
    await pipeline(bytes, createWriteStream(path.join(dir, file)))
    files.push({ bucket: object.bucket, id: object.id, name: object.name, size: object.size, contentType: object.contentType, sha256: object.sha256, path: file })
  }
  return files
}

function safeName(name: string): string {
  const base = name.split(/[\\/]/).at(-1)!.replace(/[^\w.\- ]/g, '_').replace(/^\.+/, '_')
  return base.length === 0 ? 'file' : base.slice(0, 200)
}
