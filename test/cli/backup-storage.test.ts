import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'

// The reference app's migrations on a scratch database, with the local storage driver's tree beside it.
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-backup-storage-'))
const data = path.join(work, 'data')
const db = path.join(data, 'koya.db')
const storage = path.join(data, 'storage')
const archive = path.join(work, 'with-objects.tar.gz')

/** Every regular file under dir, relative, with its content. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files[path.relative(dir, path.join(entry.parentPath, entry.name))] = readFileSync(path.join(entry.parentPath, entry.name), 'latin1')
  }
  return files
}

const put = (relative: string, content: string | Buffer) => {
  mkdirSync(path.dirname(path.join(storage, relative)), { recursive: true })
  writeFileSync(path.join(storage, relative), content)
}

beforeAll(async () => {
  const up = await runCli(repoRoot, ['migrate', 'up', '--db', db])
  expect(up.code, up.err).toBe(0)
  put('attachments/01/0193a1b2-object', Buffer.from([0, 1, 2, 255, 254]))
  put('attachments/01/0193a1b2-object.thumbs/200x200.webp', 'thumb')
  put('avatars/ff/0193ffee-avatar', 'avatar bytes')
  put('.tmp/upload-in-flight', 'half an upload')
  symlinkSync('/etc/passwd', path.join(storage, 'avatars', 'link'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('backups carry the local storage objects', () => {
  it('archives the objects (not uploads in flight, not links) and restores them in place of the tree, keeping the old one', async () => {
    const backup = await runCli(repoRoot, ['backup', '--db', db, '--out', archive])
    expect(backup.code, backup.err).toBe(0)
    expect(backup.out).toContain('3 storage object file(s)')
    const original = tree(storage)

    // After the backup: one object deleted, one added.
    rmSync(path.join(storage, 'avatars', 'ff', '0193ffee-avatar'))
    put('attachments/02/0193b000-new', 'made after the backup')
    const restore = await runCli(repoRoot, ['restore', archive, '--db', db, '--force'])
    expect(restore.code, restore.err).toBe(0)
    expect(restore.out).toContain('3 storage object file(s) restored')

    const { ['.tmp/upload-in-flight']: inFlight, ...objects } = original
    expect(inFlight).toBe('half an upload')
    expect(tree(storage)).toEqual(objects)
    expect(existsSync(path.join(storage, 'avatars', 'link'))).toBe(false)
    const kept = readdirSync(data).filter((name) => name.startsWith('storage.pre-restore-'))
    expect(kept).toHaveLength(1)
    expect(tree(path.join(data, kept[0]!))['attachments/02/0193b000-new']).toBe('made after the backup')
  })

  it('refuses an archive whose objects do not match its manifest, changing nothing', async () => {
    const unpacked = path.join(work, 'unpacked')
    mkdirSync(unpacked)
    await tar.extract({ file: archive, cwd: unpacked })
    writeFileSync(path.join(unpacked, 'storage', 'attachments', '01', 'smuggled'), 'not in the manifest')
    const tampered = path.join(work, 'tampered.tar.gz')
    await tar.create({ gzip: true, file: tampered, cwd: unpacked, portable: true }, ['manifest.json', 'koya.db', 'storage'])
    const before = tree(storage)
    const restore = await runCli(repoRoot, ['restore', tampered, '--db', db, '--force'])
    expect(restore.code).toBe(1)
    expect(restore.err).toContain('KL_BACKUP_CORRUPT The storage objects in')
    expect(tree(storage)).toEqual(before)
    expect(readdirSync(data).filter((name) => name.endsWith('.restoring'))).toEqual([])
  })

  it('restores the objects into $KOYA_STORAGE_DIR for a new database', async () => {
    const elsewhere = path.join(work, 'elsewhere')
    const restore = await runCli(repoRoot, ['restore', archive, '--db', path.join(elsewhere, 'app.db')], { KOYA_STORAGE_DIR: path.join(elsewhere, 'objects') })
    expect(restore.code, restore.err).toBe(0)
    expect(tree(path.join(elsewhere, 'objects'))['attachments/01/0193a1b2-object']).toBe(Buffer.from([0, 1, 2, 255, 254]).toString('latin1'))
  })
})
