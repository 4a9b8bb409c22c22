import { describe, expect, it } from 'vitest'
import { compileDefinition } from '../../../engine/compiler/index.ts'
import { defineConfig, env, policies } from '../../../engine/dsl/index.ts'
import { DEFAULT_HTTP } from '../../../engine/ir/http-ir.ts'
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

  it('takes database.replicate, and refuses it with encryption (Litestream reads the plain file)', () => {
    expect(compileDefinition(defineConfig({ name: 'clinic', tables: { users }, database: { replicate: 'litestream' } })).database).toEqual({ encryption: null, replicate: 'litestream' })
    expect(() =>
      compileDefinition(defineConfig({ name: 'clinic', tables: { users }, database: { encryption: { key: env('KOYA_DB_KEY') }, replicate: 'litestream' } })),
    ).toThrow(/Litestream, which cannot read an encrypted/)
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

describe('HIPAA mode: HSTS and the password policy', () => {
  const ready = { encryptionKey: 'a long database key', publicUrl: 'https://clinic.example' }

  it('refuses an HSTS header removed or shorter than a year, and a password policy under 12 characters, all at once', async () => {
    const model = { ...hipaaModel, http: { ...DEFAULT_HTTP, headers: { 'strict-transport-security': false as const } }, auth: { ...hipaaModel.auth, password: { minLength: 10 } } }
    const error = await clinicApp({ model, ...ready }).then(
      async (app) => {
        await app.close()
        return undefined
      },
      (e: unknown) => e,
    )
    expect((error as KoyaErrorList).errors.map((e) => e.code)).toEqual(['KL_COMPLIANCE_HIPAA_HSTS', 'KL_COMPLIANCE_HIPAA_PASSWORD_POLICY'])
    expect((error as KoyaErrorList).message).toContain('http.headers removes it')
    expect((error as KoyaErrorList).message).toContain('auth.password.minLength is 10')
    const short = { ...hipaaModel, http: { ...DEFAULT_HTTP, headers: { 'strict-transport-security': 'max-age=86400; includeSubDomains' } } }
    expect(await codesOf(clinicApp({ model: short, ...ready }))).toEqual(['KL_COMPLIANCE_HIPAA_HSTS'])
  })

  it('accepts a year-long HSTS override, and sends HSTS on every answer', async () => {
    const model = { ...hipaaModel, http: { ...DEFAULT_HTTP, headers: { 'strict-transport-security': 'max-age=63072000; includeSubDomains; preload' } } }
    const app = await clinicApp({ model, ...ready })
    try {
      const answer = await fetch(`${app.url}/health`)
      expect(answer.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains; preload')
    } finally {
      await app.close()
    }
    const defaults = await clinicApp({ model: hipaaModel, ...ready })
    try {
      expect((await fetch(`${defaults.url}/health`)).headers.get('strict-transport-security')).toMatch(/max-age=31536000/)
    } finally {
      await defaults.close()
    }
  })

  it('defaults the password policy to 12 characters in HIPAA mode: an 11-character password is refused at sign-up', async () => {
    const app = await clinicApp({ model: hipaaModel, ...ready })
    try {
      const signup = (password: string) =>
        fetch(`${app.url}/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://clinic.example' }, body: JSON.stringify({ email: `p${password.length}@example.com`, password, displayName: 'P' }) })
      const weak = await signup('elevenchars')
      expect(weak.status).toBe(400)
      expect(await weak.json()).toMatchObject({ code: 'KL_AUTH_WEAK_PASSWORD', message: 'The password has 11 characters; it needs at least 12.' })
      expect((await signup('twelve chars')).status).toBeLessThan(300)
    } finally {
      await app.close()
    }
  })

  it('auth.password.minLength goes into model.json only when written, and is refused below 10', () => {
    expect(hipaaModel.auth.password).toBeUndefined()
    const model = compileDefinition(defineConfig({ name: 'clinic', tables: { users }, auth: { password: { minLength: 14 } } }))
    expect(model.auth.password).toEqual({ minLength: 14 })
    expect(() => compileDefinition(defineConfig({ name: 'clinic', tables: { users }, auth: { password: { minLength: 6 } } }))).toThrow(/auth\.password\.minLength/)
  })
})

describe('HIPAA mode at generate time', () => {
  it('fails generate for a table with PHI columns and no read policy, naming the table', () => {
    let caught: unknown
    try {
      compileDefinition(
        defineConfig({
          name: 'clinic',
          tables: { users, clinics, patients, visits },
          database: { encryption: { key: env('KOYA_DB_KEY') } },
          compliance: { hipaa: true },
          policies: policies({ users, clinics, patients, visits }, { patients: { read: (patient, auth) => patient.userId === auth.userId } }),
        }),
      )
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(KoyaErrorList)
    expect((caught as KoyaErrorList).errors.map((e) => [e.code, e.message])).toEqual([['KL_COMPLIANCE_HIPAA_PHI_POLICY', 'Table "visits" has PHI columns (summary) and no read policy; HIPAA mode needs one.']])
  })
})
