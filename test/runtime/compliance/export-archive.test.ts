import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, PDF, PNG, SERVICE_KEY, storageApp, type StorageTestApp } from '../storage/storage-app.ts'

let t: StorageTestApp
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-export-archive-'))
beforeAll(async () => {
  t = await storageApp()
})
afterAll(async () => {
  await t.close()
  rmSync(work, { recursive: true, force: true })
})

const upload = async (bucket: string, token: string, bytes: Buffer, name: string, type: string) => {
  const response = await fetch(`${t.url}/storage/${bucket}?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { ...bearer(token), 'content-type': type }, body: bytes })
  if (response.status !== 201) throw new Error(`upload ${response.status} ${await response.text()}`)
  return ((await response.json()) as { id: string }).id
}

/** Fetch an archive and unpack it into a fresh directory. */
async function unpack(response: Response): Promise<string> {
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('application/gzip')
  const file = path.join(mkdtempSync(path.join(work, 'a-')), 'export.tar.gz')
  writeFileSync(file, Buffer.from(await response.arrayBuffer()))
  const dir = mkdtempSync(path.join(work, 'x-'))
  await tar.extract({ file, cwd: dir, strict: true })
  return dir
}

describe('export as a tar with the user\'s files', () => {
  it('holds the manifest, one JSON file per table, the consents, and exactly the files the user owns', async () => {
    const ada = await t.user('ada-export@example.com')
    const bob = await t.user('bob-export@example.com')
    const png = await upload('docs', ada.token, PNG, 'scan.png', 'image/png')
    const pdf = await upload('docs', ada.token, PDF, '../../etc/report.pdf', 'application/pdf')
    await upload('docs', bob.token, PDF, 'bob.pdf', 'application/pdf')

    const dir = await unpack(await fetch(`${t.url}/auth/me/export/archive`, { headers: bearer(ada.token) }))
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({ format: 'koyalite-export/1', userId: ada.id })
    expect(manifest.files.map((f: { id: string }) => f.id).sort()).toEqual([png, pdf].sort())
    for (const file of manifest.files as { id: string; path: string; size: number }[]) {
      const bytes = readFileSync(path.join(dir, file.path))
      expect(bytes.equals(file.id === png ? PNG : PDF)).toBe(true)
      expect(file.size).toBe(bytes.length)
      expect(file.path.startsWith(`files/docs/${file.id}/`)).toBe(true)
    }
    // A name that tries to be a path stays inside its folder.
    expect(manifest.files.find((f: { id: string }) => f.id === pdf).path).toBe(`files/docs/${pdf}/report.pdf`)
    expect(readdirSync(path.join(dir, 'files', 'docs')).sort()).toEqual([png, pdf].sort())
    const users = JSON.parse(readFileSync(path.join(dir, 'tables', 'users.json'), 'utf8'))
    expect(users.map((u: { id: string }) => u.id)).toEqual([ada.id])
    expect(readdirSync(path.join(dir, 'tables')).sort()).toEqual(manifest.tables.map((x: { name: string }) => `${x.name}.json`).sort())
    expect(JSON.parse(readFileSync(path.join(dir, 'consents.json'), 'utf8'))).toEqual([])
    expect(JSON.stringify(manifest)).not.toContain('bob')

    // Rate limited together with the JSON export.
    expect((await fetch(`${t.url}/auth/me/export`, { headers: bearer(ada.token) })).status).toBe(429)
    // The admin's export of another user, with the service key; audited.
    const byAdmin = await unpack(await fetch(`${t.url}/admin/users/${bob.id}/export/archive`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}` } }))
    const bobs = JSON.parse(readFileSync(path.join(byAdmin, 'manifest.json'), 'utf8'))
    expect(bobs.files.map((f: { name: string }) => f.name)).toEqual(['bob.pdf'])
    const audits = t.db.prepare(`SELECT "subjectId", "detail" FROM "_koya_audit_log" WHERE "action" = 'user.export' ORDER BY "id"`).all() as { subjectId: string; detail: string }[]
    expect(audits.map((a) => [a.subjectId, JSON.parse(a.detail).format])).toEqual([[ada.id, 'tar'], [bob.id, 'tar']])
  })
})
