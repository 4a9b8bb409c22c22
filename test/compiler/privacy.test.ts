import { describe, expect, it } from 'vitest'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { buildProjectIR } from '../../engine/compiler/build-ir.ts'
import { configOnlyLocations } from '../../engine/compiler/definition-locations.ts'
import { Problems } from '../../engine/compiler/problems.ts'
import type { ValidConfigDef } from '../../engine/compiler/def-schemas.ts'
import { defineConfig, policies, t, table } from '../../engine/dsl/index.ts'
import { policySqlText } from '../../engine/ir/policy-printer.ts'
import { ownedTables } from '../../engine/ir/privacy.ts'
import { KoyaErrorList } from '../../engine/shared/errors.ts'

const users = table.users({ displayName: t.text().personal() })
const clinics = table('clinics', { name: t.text() })
const patients = table('patients', {
  userId: t.ref(() => users),
  clinicId: t.ref(() => clinics),
  diagnosis: t.text().phi(),
  note: t.text().optional().personal(),
})
const visits = table('visits', { patientId: t.ref(() => patients, { onDelete: 'cascade' }), summary: t.text().phi() })
const notes = table('notes', { text: t.text().personal() })

function build(tables: Record<string, unknown>) {
  const problems = new Problems(configOnlyLocations('koyalite.ts'))
  const ir = buildProjectIR(defineConfig({ name: 'privacy', tables: tables as never }) as ValidConfigDef, problems)
  return { ir, problems }
}

describe('personal-data annotations', () => {
  it('marks .personal() and .phi() columns (phi implies personal) and the users email', () => {
    const { ir, problems } = build({ users, clinics, patients, visits })
    expect(problems.errors).toEqual([])
    const patient = ir.tables.find((t) => t.name === 'patients')!
    expect(patient.columns.find((c) => c.name === 'diagnosis')).toMatchObject({ personal: true, phi: true })
    expect(patient.columns.find((c) => c.name === 'note')).toMatchObject({ personal: true })
    expect(patient.columns.find((c) => c.name === 'note')!.phi).toBeUndefined()
    expect(patient.columns.find((c) => c.name === 'clinicId')!.personal).toBeUndefined()
    const userTable = ir.tables.find((t) => t.name === 'users')!
    expect(userTable.columns.filter((c) => c.personal).map((c) => c.name)).toEqual(['email', 'displayName'])
  })

  it('infers owner paths through refs, shortest first, with the default erasure rules', () => {
    const { ir, problems } = build({ users, clinics, patients, visits })
    expect(problems.warnings).toEqual([])
    const privacy = Object.fromEntries(ir.tables.map((t) => [t.name, t.privacy]))
    expect(privacy.users).toEqual({ owner: [], ownerDeclared: false, onErase: 'delete' })
    expect(privacy.patients).toEqual({ owner: ['userId'], ownerDeclared: false, onErase: 'delete' })
    expect(privacy.visits).toEqual({ owner: ['patientId', 'userId'], ownerDeclared: false, onErase: 'keep' })
    expect(privacy.clinics).toBeUndefined()
    expect(ownedTables(ir).map((t) => t.name)).toEqual(['users', 'patients', 'visits'])
  })

  it('takes a declared owner path and erasure rule', () => {
    const reviews = table('reviews', { authorId: t.ref(() => users, { inverse: 'writtenReviews' }), subjectId: t.ref(() => users), body: t.text().personal() }, { owner: 'subjectId', onErase: 'anonymize' })
    const { ir, problems } = build({ users, reviews })
    expect(problems.errors).toEqual([])
    expect(ir.tables.find((t) => t.name === 'reviews')!.privacy).toEqual({ owner: ['subjectId'], ownerDeclared: true, onErase: 'anonymize' })
  })

  it('warns (KL_DEF_NO_OWNER_PATH) about personal columns with no path to a user, and generation goes on', () => {
    const { ir, problems } = build({ users, notes })
    expect(problems.errors).toEqual([])
    expect(problems.warnings.map((w) => w.code)).toEqual(['KL_DEF_NO_OWNER_PATH'])
    expect(problems.warnings[0]!.message).toContain('"notes"')
    expect(ir.tables.find((t) => t.name === 'notes')!.privacy).toBeUndefined()
  })

  it('refuses a declared owner path that is not refs ending at users (KL_DEF_OWNER_PATH)', () => {
    const bad = [
      table('a', { clinicId: t.ref(() => clinics) }, { owner: 'clinicId' }),
      table('b', { name: t.text() }, { owner: 'name' }),
      table('c', { patientId: t.ref(() => patients) }, { owner: 'patientId.diagnosis' }),
    ]
    for (const def of bad) {
      try {
        compileDefinition(defineConfig({ name: 'privacy', tables: { users, clinics, patients, def } }))
        expect.unreachable(`${def.name} compiled`)
      } catch (error) {
        expect((error as KoyaErrorList).errors.map((e) => e.code)).toEqual(['KL_DEF_OWNER_PATH'])
      }
    }
  })
})

describe('auth.consents in policies', () => {
  const newsletters = table('newsletters', { title: t.text() })
  const rules = {
    marketing: (_row: unknown, auth: { consents: readonly string[] }) => auth.consents.includes('marketing'),
    doNotSell: (_row: unknown, auth: { consents: readonly string[] }) => auth.consents.includes('doNotSell'),
    telemetry: (_row: unknown, auth: { consents: readonly string[] }) => auth.consents.includes('telemetry'),
  }
  const config = (purpose: keyof typeof rules) =>
    defineConfig({
      name: 'consents',
      tables: { users, newsletters },
      consents: { marketing: { version: 3, description: 'News.' } },
      policies: policies({ users, newsletters }, { newsletters: { read: rules[purpose] as never } }),
    })

  it('compiles a declared purpose with its current version, and doNotSell, into a subquery on the caller id', () => {
    const ir = compileDefinition(config('marketing'))
    expect(ir.consents).toEqual([{ name: 'marketing', version: 3, description: 'News.' }])
    const read = ir.policies.find((p) => p.table === 'newsletters')!.read!
    expect(read.expr).toEqual({ kind: 'hasConsent', purpose: 'marketing', version: 3 })
    const printed = policySqlText(read.expr, 'newsletters', ir.tables)
    expect(printed.sql).toBe('EXISTS (SELECT 1 FROM "_koya_consent_state" "p1" WHERE "p1"."userId" = ? AND "p1"."purpose" = ? AND "p1"."granted" = 1 AND "p1"."version" >= ?)')
    expect(printed.params).toEqual([{ kind: 'authUserId' }, { kind: 'value', value: 'marketing' }, { kind: 'value', value: 3 }])
    expect(compileDefinition(config('doNotSell')).policies[0]!.read!.expr).toEqual({ kind: 'hasConsent', purpose: 'doNotSell', version: 1 })
  })

  it('refuses an undeclared purpose (KL_POLICY_UNKNOWN_CONSENT)', () => {
    expect(() => compileDefinition(config('telemetry'))).toThrow(KoyaErrorList)
    try {
      compileDefinition(config('telemetry'))
    } catch (error) {
      expect((error as KoyaErrorList).errors.map((e) => e.code)).toEqual(['KL_POLICY_UNKNOWN_CONSENT'])
    }
  })
})
