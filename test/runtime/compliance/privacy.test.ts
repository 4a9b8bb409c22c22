import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { ownedTables } from '../../../engine/ir/privacy.ts'
import { call, clinicApp, clinicModel, signIn, type ClinicApp } from './clinic-app.ts'

let current: ClinicApp | undefined
afterEach(async () => {
  await current?.close()
  current = undefined
})

/** Seed two users' worlds as the system: patients, visits, notes, and a shared clinic. */
async function seed(app: ClinicApp) {
  const ada = await signIn(app.url, 'ada@example.com')
  const bob = await signIn(app.url, 'bob@example.com')
  const insert = (table: string, row: Record<string, unknown>) =>
    call(app.url, 'POST', `/api/${table}`, { service: true, body: row, headers: { prefer: 'return=representation' } }).then((r) => {
      if (r.status !== 201) throw new Error(`${table}: ${r.status} ${JSON.stringify(r.body)}`)
      return (Array.isArray(r.body) ? r.body[0] : r.body).id as string
    })
  const clinicId = await insert('clinics', { name: 'Shared Clinic' })
  for (const [user, n] of [[ada, 2], [bob, 1]] as const) {
    for (let i = 0; i < n; i++) {
      const patientId = await insert('patients', { userId: user.id, clinicId, diagnosis: `diagnosis-${user === ada ? 'ADA' : 'BOB'}-${i}` })
      await insert('visits', { patientId, summary: `visit-${user === ada ? 'ADA' : 'BOB'}-${i}` })
      await insert('visits', { patientId, summary: `visit2-${user === ada ? 'ADA' : 'BOB'}-${i}` })
    }
    await insert('notes', { authorId: user.id, body: `note-${user === ada ? 'ADA' : 'BOB'}-secret`, topic: 'general' })
  }
  await insert('newsletters', { title: 'November news' })
  return { ada, bob }
}

/** A reference walk of the owner paths, in plain SQL joins, independent of the data layer. */
function referenceWalk(app: ClinicApp, userId: string): Record<string, string[]> {
  const ids = (sql: string) => (app.db.prepare(sql).all(userId) as { id: string }[]).map((r) => r.id).sort()
  return {
    users: ids('SELECT id FROM users WHERE id = ?'),
    patients: ids('SELECT id FROM patients WHERE userId = ?'),
    visits: ids('SELECT v.id FROM visits v JOIN patients p ON p.id = v.patientId WHERE p.userId = ?'),
    notes: ids('SELECT id FROM notes WHERE authorId = ?'),
  }
}

describe('consents', () => {
  it('records grants and withdrawals, and policies see auth.consents on the next request', async () => {
    const app = (current = await clinicApp())
    const { ada } = await seed(app)
    const read = () => call(app.url, 'GET', '/api/newsletters', { token: ada.token })
    expect((await read()).body).toEqual([])
    const listed = await call(app.url, 'GET', '/auth/me/consents', { token: ada.token })
    expect(listed.body.map((c: { purpose: string; granted: boolean }) => [c.purpose, c.granted])).toEqual([['doNotSell', false], ['marketing', false]])
    const granted = await call(app.url, 'POST', '/auth/me/consents', { token: ada.token, body: { purpose: 'marketing', granted: true } })
    expect(granted.status, JSON.stringify(granted.body)).toBe(200)
    expect(granted.body.find((c: { purpose: string }) => c.purpose === 'marketing')).toMatchObject({ granted: true, version: 2, grantedVersion: 2 })
    expect((await read()).body.map((r: { title: string }) => r.title)).toEqual(['November news'])
    await call(app.url, 'POST', '/auth/me/consents', { token: ada.token, body: { purpose: 'marketing', granted: false } })
    expect((await read()).body).toEqual([])
    // The CCPA flag is the same mechanism.
    await call(app.url, 'POST', '/auth/me/consents', { token: ada.token, body: { purpose: 'doNotSell', granted: true } })
    const history = app.db.prepare('SELECT purpose, version, granted, ip FROM _koya_consents WHERE userId = ? ORDER BY at, id').all(ada.id)
    expect(history).toEqual([
      { purpose: 'marketing', version: 2, granted: 1, ip: '127.0.0.1' },
      { purpose: 'marketing', version: 2, granted: 0, ip: '127.0.0.1' },
      { purpose: 'doNotSell', version: 1, granted: 1, ip: '127.0.0.1' },
    ])
  })

  it('does not count a grant of an older version, and refuses an undeclared purpose', async () => {
    const app = (current = await clinicApp())
    const { ada } = await seed(app)
    app.db.prepare('INSERT INTO _koya_consent_state (userId, purpose, version, granted, at) VALUES (?, ?, 1, 1, ?)').run(ada.id, 'marketing', new Date().toISOString())
    expect((await call(app.url, 'GET', '/api/newsletters', { token: ada.token })).body).toEqual([])
    const bad = await call(app.url, 'POST', '/auth/me/consents', { token: ada.token, body: { purpose: 'telemetry', granted: true } })
    expect(bad).toMatchObject({ status: 400, body: { code: 'KL_API_VALIDATION' } })
  })
})

describe('export', () => {
  it('contains exactly the rows reachable from the user, and nothing of another user', async () => {
    const app = (current = await clinicApp())
    const { ada, bob } = await seed(app)
    for (const user of [ada, bob]) {
      const archive = await call(app.url, 'GET', '/auth/me/export', { token: user.token })
      expect(archive.status, JSON.stringify(archive.body)).toBe(200)
      const got = Object.fromEntries(Object.entries(archive.body.tables as Record<string, { id: string }[]>).map(([t, rows]) => [t, rows.map((r) => r.id).sort()]))
      expect(got).toEqual(referenceWalk(app, user.id))
      const other = user === ada ? 'BOB' : 'ADA'
      expect(JSON.stringify(archive.body)).not.toContain(other)
      expect(archive.body.manifest).toMatchObject({ format: 'koyalite-export/1', app: 'clinic', userId: user.id })
      expect(archive.body.manifest.tables.map((t: { name: string }) => t.name)).toEqual(ownedTables(clinicModel).map((t) => t.name))
    }
    const audit = app.db.prepare("SELECT actorId, subjectId FROM _koya_audit_log WHERE action = 'user.export'").all()
    expect(audit).toEqual([{ actorId: ada.id, subjectId: ada.id }, { actorId: bob.id, subjectId: bob.id }])
  })

  it('is rate limited for the user, and open to the admin API', async () => {
    const app = (current = await clinicApp({ exportIntervalMs: 60_000 }))
    const { ada } = await seed(app)
    expect((await call(app.url, 'GET', '/auth/me/export', { token: ada.token })).status).toBe(200)
    expect(await call(app.url, 'GET', '/auth/me/export', { token: ada.token })).toMatchObject({ status: 429, body: { code: 'KL_AUTH_RATE_LIMITED' } })
    const admin = await call(app.url, 'POST', `/admin/users/${ada.id}/export`, { service: true })
    expect(admin.status).toBe(200)
    expect(admin.body.tables.patients).toHaveLength(2)
    expect(await call(app.url, 'POST', `/admin/users/${ada.id}/export`, { token: ada.token })).toMatchObject({ status: 403 })
  })
})

describe('erasure', () => {
  it('needs the current password', async () => {
    const app = (current = await clinicApp())
    const { ada } = await seed(app)
    expect(await call(app.url, 'DELETE', '/auth/me', { token: ada.token, body: { password: 'wrong password here' } })).toMatchObject({ status: 401, body: { code: 'KL_AUTH_INVALID_CREDENTIALS' } })
    expect(app.db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 2 })
  })

  it('deletes or anonymises per onErase in one transaction, revokes sessions, and leaves no personal value in the file or its WAL', async () => {
    const app = (current = await clinicApp())
    const { ada, bob } = await seed(app)
    const { n: sessions } = app.db.prepare('SELECT count(*) AS n FROM _koya_sessions WHERE userId = ?').get(ada.id) as { n: number }
    expect(sessions).toBeGreaterThan(0)
    const erased = await call(app.url, 'DELETE', '/auth/me', { token: ada.token, body: { password: 'correct horse battery staple' } })
    expect(erased.status, JSON.stringify(erased.body)).toBe(200)
    // notes are kept (anonymised) and still point at ada: her row stays as an anonymous tombstone.
    expect(erased.body).toMatchObject({ userId: ada.id, userRow: 'anonymized', sessionsRevoked: sessions })
    expect(erased.body.retention).toContain('Backups')
    expect(app.db.prepare('SELECT count(*) AS n FROM patients WHERE userId = ?').get(ada.id)).toEqual({ n: 0 })
    expect(app.db.prepare('SELECT body, topic FROM notes WHERE authorId = ?').all(ada.id)).toEqual([{ body: 'erased', topic: 'general' }])
    expect(app.db.prepare('SELECT email, displayName FROM users WHERE id = ?').get(ada.id)).toEqual({ email: `erased-${ada.id}@erased.invalid`, displayName: 'erased' })
    expect(app.db.prepare('SELECT count(*) AS n FROM _koya_credentials WHERE userId = ?').get(ada.id)).toEqual({ n: 0 })
    expect((await call(app.url, 'GET', '/auth/session', { token: ada.token })).body?.user ?? null).toBeNull()
    // Bob's world is untouched.
    expect(referenceWalk(app, bob.id).visits).toHaveLength(2)
    expect(app.db.prepare('SELECT count(*) AS n FROM notes WHERE body = ?').get('note-BOB-secret')).toEqual({ n: 1 })
    // The audit entry names ids and counts, never a personal value.
    const entry = app.db.prepare("SELECT * FROM _koya_audit_log WHERE action = 'user.erase'").get() as Record<string, unknown>
    expect(entry).toMatchObject({ subjectId: ada.id })
    expect(JSON.stringify(entry)).not.toMatch(/ADA|ada@example/)
    // No personal value of ada in the database file or its WAL.
    app.db.pragma('wal_checkpoint(TRUNCATE)')
    for (const suffix of ['', '-wal']) {
      let bytes: Buffer
      try {
        bytes = readFileSync(app.file + suffix)
      } catch {
        continue
      }
      for (const value of ['ada@example.com', 'Name of ada', 'diagnosis-ADA', 'visit-ADA', 'note-ADA-secret']) expect(bytes.includes(value), `${value} in ${suffix || 'db'}`).toBe(false)
      if (suffix === '') expect(bytes.includes('note-BOB-secret')).toBe(true)
    }
  })

  it('deletes the user row when nothing kept references it (admin)', async () => {
    const app = (current = await clinicApp())
    const { bob } = await seed(app)
    app.db.prepare('DELETE FROM notes WHERE authorId = ?').run(bob.id)
    const erased = await call(app.url, 'DELETE', `/admin/users/${bob.id}`, { service: true })
    expect(erased.status, JSON.stringify(erased.body)).toBe(200)
    expect(erased.body.userRow).toBe('deleted')
    expect(app.db.prepare('SELECT count(*) AS n FROM users WHERE id = ?').get(bob.id)).toEqual({ n: 0 })
    expect(await call(app.url, 'DELETE', `/admin/users/${bob.id}`, { service: true })).toMatchObject({ status: 404, body: { code: 'KL_AUTH_USER_NOT_FOUND' } })
  })
})
