import { afterEach, describe, expect, it } from 'vitest'
import { compileDefinition } from '../../../engine/compiler/index.ts'
import { defineConfig, policies } from '../../../engine/dsl/index.ts'
import { Client, type RealtimeTestApp } from '../realtime/realtime-helpers.ts'
import { call, clinicApp, clinics, newsletters, notes, patients, signIn, users, visits, type ClinicApp } from './clinic-app.ts'

/** The clinic app where a user reads their own patients and visits. */
const model = compileDefinition(
  defineConfig({
    name: 'clinic',
    tables: { users, clinics, patients, visits, notes, newsletters },
    policies: policies({ users, clinics, patients, visits, notes, newsletters }, {
      clinics: { read: () => true },
      patients: { read: (patient, auth) => patient.userId === auth.userId },
      visits: { read: (visit, auth) => visit.patient.userId === auth.userId },
    }),
  }),
)

let current: ClinicApp | undefined
afterEach(async () => {
  await current?.close()
  current = undefined
})

async function seeded() {
  const app = (current = await clinicApp({ model }))
  const ada = await signIn(app.url, 'ada@example.com')
  const insert = async (table: string, row: Record<string, unknown>) => {
    const r = await call(app.url, 'POST', `/api/${table}`, { service: true, body: row })
    if (r.status !== 201) throw new Error(`${table}: ${r.status} ${JSON.stringify(r.body)}`)
  }
  await insert('clinics', { name: 'North' })
  const clinicId = (app.db.prepare('SELECT id FROM clinics').get() as { id: string }).id
  await insert('patients', { userId: ada.id, clinicId, diagnosis: 'PHI-DIAGNOSIS-1' })
  await insert('patients', { userId: ada.id, clinicId, diagnosis: 'PHI-DIAGNOSIS-2' })
  const patientIds = (app.db.prepare('SELECT id FROM patients ORDER BY id').pluck().all() as string[])
  await insert('visits', { patientId: patientIds[0], summary: 'PHI-VISIT' })
  return { app, ada, clinicId, patientIds }
}

type Entry = { actorId: string | null; subjectId: string | null; requestId: string | null; detail: any }
const phiReads = (app: ClinicApp): Entry[] =>
  (app.db.prepare(`SELECT "actorId", "subjectId", "requestId", "detail" FROM "_koya_audit_log" WHERE "action" = 'phi.read' ORDER BY "id"`).all() as Entry[]).map((e) => ({ ...e, detail: JSON.parse(e.detail) }))

describe('PHI read audit', () => {
  it('records who read which rows of which PHI columns, once per read, with the request id', async () => {
    const { app, ada, patientIds } = await seeded()
    const listed = await call(app.url, 'GET', '/api/patients', { token: ada.token })
    expect(listed.status).toBe(200)
    expect(listed.body).toHaveLength(2)
    const entries = phiReads(app)
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ actorId: ada.id, subjectId: null, detail: { via: 'list', actor: 'user', reads: [{ table: 'patients', columns: ['diagnosis'], unidentified: 0 }] } })
    expect([...entries[0]!.detail.reads[0].ids].sort()).toEqual(patientIds)
    expect(entries[0]!.requestId).toEqual(expect.any(String))
    // The entry names rows, not values.
    expect(JSON.stringify(entries)).not.toContain('PHI-DIAGNOSIS')

    const one = await call(app.url, 'GET', `/api/patients/${patientIds[0]}`, { service: true })
    expect(one.status).toBe(200)
    expect(phiReads(app).at(-1)).toMatchObject({ actorId: null, detail: { via: 'get', actor: 'system', reads: [{ table: 'patients', ids: [patientIds[0]] }] } })
  })

  it('audits PHI read through an embed, and not reads that select no PHI column', async () => {
    const { app, ada, patientIds } = await seeded()
    await call(app.url, 'GET', '/api/clinics', { token: ada.token })
    await call(app.url, 'GET', '/api/patients?select=id,clinicId', { token: ada.token })
    expect(phiReads(app)).toEqual([])
    const embedded = await call(app.url, 'GET', '/api/clinics?select=name,patients(id,diagnosis,visits(summary))', { token: ada.token })
    expect(embedded.status, JSON.stringify(embedded.body)).toBe(200)
    const [entry] = phiReads(app)
    expect(entry!.detail.reads).toEqual([
      { table: 'patients', columns: ['diagnosis'], ids: expect.arrayContaining(patientIds), unidentified: 0 },
      // visits(summary) did not select the visit's id: counted, not named.
      { table: 'visits', columns: ['summary'], ids: [], unidentified: 1 },
    ])
  })

  it('answers no PHI when its audit entry cannot be written (same transaction)', async () => {
    const { app, ada } = await seeded()
    app.db.exec('DROP TABLE "_koya_audit_log"')
    const listed = await call(app.url, 'GET', '/api/patients', { token: ada.token })
    expect(listed.status).toBe(500)
    expect(JSON.stringify(listed.body)).not.toContain('PHI-DIAGNOSIS')
    // A table without PHI is read as before.
    expect((await call(app.url, 'GET', '/api/clinics', { token: ada.token })).status).toBe(200)
  })
})

describe('PHI read audit of write read-backs and realtime pushes', () => {
  it('audits the rows a create, an update and a delete answer (Prefer: return=representation), and not a write that answers none', async () => {
    const { app, ada, clinicId, patientIds } = await seeded()
    const representation = { prefer: 'return=representation' }
    const created = await call(app.url, 'POST', '/api/patients', { service: true, headers: representation, body: { userId: ada.id, clinicId, diagnosis: 'PHI-DIAGNOSIS-3' } })
    expect(created.status).toBe(201)
    const newId = created.body[0].id as string
    expect(phiReads(app)).toHaveLength(1)
    expect(phiReads(app)[0]).toMatchObject({ actorId: null, requestId: expect.any(String), detail: { via: 'create', actor: 'system', reads: [{ table: 'patients', columns: ['diagnosis'], ids: [newId], unidentified: 0 }] } })

    const updated = await call(app.url, 'PATCH', `/api/patients?id=eq.${patientIds[0]}`, { service: true, headers: representation, body: { diagnosis: 'PHI-DIAGNOSIS-1b' } })
    expect(updated.status).toBe(200)
    expect(phiReads(app).at(-1)).toMatchObject({ detail: { via: 'update', reads: [{ table: 'patients', ids: [patientIds[0]] }] } })

    // A read-back that selects no PHI column writes nothing.
    const slim = await call(app.url, 'PATCH', `/api/patients?id=eq.${patientIds[0]}&select=id`, { service: true, headers: representation, body: { diagnosis: 'PHI-DIAGNOSIS-1c' } })
    expect(slim.status).toBe(200)
    expect(phiReads(app)).toHaveLength(2)
    // A write that answers no row is not a read.
    expect((await call(app.url, 'PATCH', `/api/patients?id=eq.${patientIds[0]}`, { service: true, body: { diagnosis: 'PHI-DIAGNOSIS-1d' } })).status).toBeLessThan(300)
    expect(phiReads(app)).toHaveLength(2)

    const deleted = await call(app.url, 'DELETE', `/api/patients?id=eq.${newId}`, { service: true, headers: representation })
    expect(deleted.status).toBe(200)
    expect(phiReads(app).at(-1)).toMatchObject({ detail: { via: 'delete', reads: [{ table: 'patients', ids: [newId] }] } })
    expect(JSON.stringify(phiReads(app))).not.toContain('PHI-DIAGNOSIS')
  })

  it('leaves one entry per realtime event that pushes a PHI row, naming the subscriber and the row', async () => {
    const { app, ada, clinicId } = await seeded()
    const client = await Client.open(app as unknown as RealtimeTestApp, ada.token)
    try {
      const subscribed = await client.subscribe('mine', 'patients')
      expect(subscribed.type).toBe('subscribed')
      const before = phiReads(app).length
      const created = await call(app.url, 'POST', '/api/patients', { service: true, body: { userId: ada.id, clinicId, diagnosis: 'PHI-DIAGNOSIS-RT' } })
      expect(created.status).toBe(201)
      const id = (app.db.prepare(`SELECT id FROM patients WHERE diagnosis = 'PHI-DIAGNOSIS-RT'`).pluck().get()) as string
      const change = await client.next((m) => m.type === 'change' && m.id === 'mine' && m.rowId === id)
      expect(change.row.diagnosis).toBe('PHI-DIAGNOSIS-RT')
      const pushed = phiReads(app).slice(before).filter((e) => e.detail.via === 'realtime')
      expect(pushed).toEqual([{ actorId: ada.id, subjectId: null, requestId: null, detail: { via: 'realtime', actor: 'user', reads: [{ table: 'patients', columns: ['diagnosis'], ids: [id], unidentified: 0 }] } }])
      // A change the subscriber cannot read is neither pushed nor audited for them.
      const bob = await signIn(app.url, 'bob@example.com')
      await call(app.url, 'POST', '/api/patients', { service: true, body: { userId: bob.id, clinicId, diagnosis: 'PHI-DIAGNOSIS-BOB' } })
      await call(app.url, 'PATCH', `/api/patients?id=eq.${id}`, { service: true, body: { diagnosis: 'PHI-DIAGNOSIS-RT2' } })
      await client.next((m) => m.type === 'change' && m.id === 'mine' && m.row?.diagnosis === 'PHI-DIAGNOSIS-RT2')
      const all = phiReads(app).slice(before).filter((e) => e.detail.via === 'realtime')
      expect(all.map((e) => [e.actorId, e.detail.reads[0].ids])).toEqual([[ada.id, [id]], [ada.id, [id]]])
    } finally {
      client.close()
    }
  })
})
