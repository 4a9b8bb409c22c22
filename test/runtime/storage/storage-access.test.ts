import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PDF, PNG, SERVICE_KEY, bearer, storageApp, type StorageTestApp } from './storage-app.ts'

// Every /storage route per persona: Ada and Bob (signed in), an admin, an anonymous caller and
// the service key, against buckets whose rules differ (owner-only, public read, service-only).
describe('storage access per persona', () => {
  let t: StorageTestApp
  let ada: { id: string; token: string }
  let bob: { id: string; token: string }
  let admin: { id: string; token: string }
  beforeAll(async () => {
    t = await storageApp()
    ada = await t.user('ada@example.com')
    bob = await t.user('bob@example.com')
    admin = await t.user('root@example.com', ['admin'])
  })
  afterAll(() => t?.close())

  const upload = async (bucket: string, body: Buffer, token: string | undefined, query = '') =>
    fetch(`${t.url}/storage/${bucket}${query}`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, body })
  const uploaded = async (bucket: string, body: Buffer, token: string | undefined, name = 'file') => {
    const answer = await upload(bucket, body, token, `?name=${encodeURIComponent(name)}`)
    expect(answer.status).toBe(201)
    return (await answer.json()) as { id: string; name: string; size: number; contentType: string; ownerId: string | null; sha256: string }
  }
  const get = (path: string, token?: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers: { ...bearer(token), ...headers } })
  const code = async (response: Response) => ((await response.json()) as { code: string }).code

  it('the owner uploads, and the object row records size, sniffed type, hash and owner', async () => {
    const object = await uploaded('docs', PNG, ada.token, 'avatar.png')
    expect(object).toMatchObject({ name: 'avatar.png', size: PNG.length, contentType: 'image/png', ownerId: ada.id })
    expect(object.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(object)).not.toContain('"key"')
    const body = await get(`/storage/docs/${object.id}`, ada.token)
    expect(body.status).toBe(200)
    expect(Buffer.from(await body.arrayBuffer())).toEqual(PNG)
    expect(body.headers.get('content-type')).toBe('image/png')
    expect(body.headers.get('etag')).toBe(`"${object.sha256}"`)
    expect(body.headers.get('content-disposition')).toBe(`inline; filename="avatar.png"; filename*=UTF-8''avatar.png`)
    expect(body.headers.get('cache-control')).toBe('private, no-cache')
  })

  it('another user, an anonymous caller and a wrong bucket see an owner-only object as missing; an admin and the service key read it', async () => {
    const object = await uploaded('docs', PDF, ada.token, 'report.pdf')
    for (const token of [bob.token, undefined]) {
      const answer = await get(`/storage/docs/${object.id}`, token)
      expect(answer.status).toBe(404)
      expect(await code(answer)).toBe('KL_STORAGE_NOT_FOUND')
    }
    expect((await get(`/storage/open/${object.id}`, ada.token)).status).toBe(404)
    expect((await get(`/storage/docs/${object.id}`, admin.token)).status).toBe(200)
    expect((await get(`/storage/docs/${object.id}`, SERVICE_KEY)).status).toBe(200)
  })

  it('uploads: anonymous is refused before any byte is stored; the service-only bucket refuses users', async () => {
    const anonymous = await upload('docs', PNG, undefined)
    expect(anonymous.status).toBe(401)
    expect(await code(anonymous)).toBe('KL_API_UNAUTHORIZED')
    const user = await upload('vault', PNG, ada.token)
    expect(user.status).toBe(403)
    expect(await code(user)).toBe('KL_API_POLICY_DENIED')
    expect((await upload('vault', PNG, SERVICE_KEY)).status).toBe(201)
    const unknown = await upload('nope', PNG, ada.token)
    expect(unknown.status).toBe(404)
  })

  it('a public-read bucket serves anyone; only the owner deletes', async () => {
    const object = await uploaded('open', Buffer.from('hello world\n'), ada.token, 'notes.txt')
    expect(object.contentType).toBe('text/plain')
    expect((await get(`/storage/open/${object.id}`)).status).toBe(200)
    const byBob = await fetch(`${t.url}/storage/open/${object.id}`, { method: 'DELETE', headers: bearer(bob.token) })
    expect(byBob.status).toBe(403)
    const byAnon = await fetch(`${t.url}/storage/open/${object.id}`, { method: 'DELETE' })
    expect(byAnon.status).toBe(401)
    expect((await get(`/storage/open/${object.id}`)).status).toBe(200)
    const byAda = await fetch(`${t.url}/storage/open/${object.id}`, { method: 'DELETE', headers: bearer(ada.token) })
    expect(byAda.status).toBe(204)
    expect((await get(`/storage/open/${object.id}`)).status).toBe(404)
  })

  it('a deleted object leaves no bytes behind (after the commit)', async () => {
    const object = await uploaded('open', Buffer.from('to be removed'), ada.token)
    const key = (t.db.prepare('SELECT "key" FROM "_koya_objects" WHERE "id" = ?').all(object.id)[0] as { key: string }).key
    const { existsSync } = await import('node:fs')
    const file = `${t.root}/${key}`
    expect(existsSync(file)).toBe(true)
    expect((await fetch(`${t.url}/storage/open/${object.id}`, { method: 'DELETE', headers: bearer(ada.token) })).status).toBe(204)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(existsSync(file)).toBe(false)
  })

  it('list shows the caller\'s own objects only; anonymous is refused; the service key names an owner', async () => {
    await uploaded('open', Buffer.from('a'), ada.token, 'list/a.txt')
    await uploaded('open', Buffer.from('b'), ada.token, 'list/b.txt')
    await uploaded('open', Buffer.from('c'), bob.token, 'list/c.txt')
    const mine = (await (await get('/storage/open?prefix=list/', ada.token)).json()) as { name: string }[]
    expect(mine.map((o) => o.name)).toEqual(['list/a.txt', 'list/b.txt'])
    const bobs = (await (await get('/storage/open?prefix=list/', bob.token)).json()) as { name: string }[]
    expect(bobs.map((o) => o.name)).toEqual(['list/c.txt'])
    expect((await get('/storage/open')).status).toBe(401)
    const service = (await (await get(`/storage/open?prefix=list/&ownerId=${bob.id}`, SERVICE_KEY)).json()) as { name: string }[]
    expect(service.map((o) => o.name)).toEqual(['list/c.txt'])
  })

  it('delete by prefix removes only the caller\'s own objects under the prefix', async () => {
    await uploaded('open', Buffer.from('1'), ada.token, 'folder/one')
    await uploaded('open', Buffer.from('2'), ada.token, 'folder/two')
    await uploaded('open', Buffer.from('3'), ada.token, 'folderx/three')
    await uploaded('open', Buffer.from('4'), bob.token, 'folder/bobs')
    const answer = await fetch(`${t.url}/storage/open?prefix=folder/`, { method: 'DELETE', headers: bearer(ada.token) })
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({ deleted: 2 })
    const left = t.db.prepare(`SELECT "name" FROM "_koya_objects" WHERE "name" LIKE 'folder%' ORDER BY "name"`).pluck().all()
    expect(left).toEqual(['folder/bobs', 'folderx/three'])
  })

  it('metadata update needs the delete rule; the owner renames and sets metadata', async () => {
    const object = await uploaded('open', Buffer.from('meta'), ada.token, 'm.txt')
    const patch = (token: string | undefined, body: object) => fetch(`${t.url}/storage/open/${object.id}`, { method: 'PATCH', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect((await patch(bob.token, { metadata: { a: 1 } })).status).toBe(403)
    const ok = await patch(ada.token, { name: 'renamed.txt', metadata: { tag: 'x' } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ name: 'renamed.txt', metadata: { tag: 'x' } })
  })

  it('sign: only a reader may sign; the signed URL serves anyone until it expires', async () => {
    const object = await uploaded('docs', PNG, ada.token, 'signed.png')
    const sign = (token: string | undefined) => fetch(`${t.url}/storage/docs/${object.id}/sign`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify({ expiresIn: 60 }) })
    expect((await sign(bob.token)).status).toBe(404)
    expect((await sign(undefined)).status).toBe(404)
    const signed = (await (await sign(ada.token)).json()) as { url: string; expiresAt: string }
    expect(signed.url).toMatch(new RegExp(`^/storage/docs/${object.id}\\?expires=\\d+&signature=[\\w-]+$`))
    const answer = await get(signed.url)
    expect(answer.status).toBe(200)
    expect(Buffer.from(await answer.arrayBuffer())).toEqual(PNG)
    expect(answer.headers.get('cache-control')).toMatch(/^private, max-age=(59|60)$/)
  })
})
