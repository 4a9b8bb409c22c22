import { describe, expect, it } from 'vitest'
import { compileDefinition } from '../../../engine/compiler/index.ts'
import { defineConfig, env, policies } from '../../../engine/dsl/index.ts'
import { KoyaErrorList } from '../../../engine/shared/errors.ts'
import { clinicApp, clinicModel, clinics, newsletters, notes, patients, users, visits } from './clinic-app.ts'

const codesOf = async (start: Promise<{ close(): Promise<void> }>): Promise<string[]> => {
  const error = await start.then(
    async (app) => {
      await app.close()
      return undefined
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KoyaErrorList)
  return (error as KoyaErrorList).errors.map((e) => e.code)
}

/** The clinic app written to meet every HIPAA requirement KoyaLite checks. */
const hipaaModel = compileDefinition(
  defineConfig({
    name: 'clinic',
    tables: { users, clinics, patients, visits, notes, newsletters },
    database: { encryption: { key: env('KOYA_DB_KEY') } },
    compliance: { hipaa: true },
    auth: { session: { idleTimeout: '15m' } },
    policies: policies({ users, clinics, patients, visits, notes, newsletters }, {
      patients: { read: (patient, auth) => patient.userId === auth.userId },
      visits: { read: (visit, auth) => visit.patient.userId === auth.userId },
      notes: { read: (note, auth) => note.authorId === auth.userId },
    }),
  }),
)

describe('HIPAA mode', () => {
  it('refuses to start, listing every unmet requirement at once with its code', async () => {
    const model = { ...clinicModel, compliance: { hipaa: true } }
    const error = await clinicApp({ model }).then(
      async (app) => {
        await app.close()
        return undefined
      },
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(KoyaErrorList)
    // synchronous=FULL is not among them: HIPAA mode sets it on the connection.
    expect((error as KoyaErrorList).errors.map((e) => e.code)).toEqual([
      'KL_COMPLIANCE_HIPAA_ENCRYPTION',
      'KL_COMPLIANCE_HIPAA_HTTPS',
      'KL_COMPLIANCE_HIPAA_SESSION_IDLE',
      'KL_COMPLIANCE_HIPAA_PHI_POLICY',
      'KL_COMPLIANCE_HIPAA_PHI_POLICY',
    ])
    expect((error as KoyaErrorList).message).toContain('"patients"')
  })

  it('starts an app that meets every requirement, its connection at synchronous=FULL', async () => {
    expect(hipaaModel.database).toEqual({ encryption: { key: { env: 'KOYA_DB_KEY' } } })
    const app = await clinicApp({ model: hipaaModel, encryptionKey: 'a long database key', publicUrl: 'https://clinic.example' })
    try {
      expect(app.db.pragma('synchronous', { simple: true })).toBe(2)
      const health = await fetch(`${app.url}/health`)
      expect(health.status).toBeLessThan(500)
    } finally {
      await app.close()
    }
  })

  it('refuses database.synchronous "normal" in HIPAA mode, at generate time and at start', async () => {
    expect(() =>
      compileDefinition(defineConfig({ name: 'clinic', tables: { users }, database: { synchronous: 'normal' }, compliance: { hipaa: true } })),
    ).toThrow(/database\.synchronous is 'normal'/)
    const model = { ...hipaaModel, database: { ...hipaaModel.database!, synchronous: 'normal' as const } }
    expect(await codesOf(clinicApp({ model, encryptionKey: 'a long database key', publicUrl: 'https://clinic.example' }))).toEqual(['KL_COMPLIANCE_HIPAA_SYNCHRONOUS'])
  })

  it("sets synchronous=FULL on an app that asks for it without HIPAA mode, and leaves others at NORMAL", async () => {
    const full = await clinicApp({ model: { ...clinicModel, database: { encryption: null, synchronous: 'full' } } })
    const normal = await clinicApp()
    try {
      expect(full.db.pragma('synchronous', { simple: true })).toBe(2)
      expect(normal.db.pragma('synchronous', { simple: true })).toBe(1)
    } finally {
      await full.close()
      await normal.close()
    }
  })
})
