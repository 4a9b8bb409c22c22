import { describe, expect, it } from 'vitest'
import { KoyaErrorList } from '../../../engine/shared/errors.ts'
import { clinicApp, clinicModel } from './clinic-app.ts'

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
    expect((error as KoyaErrorList).errors.map((e) => e.code)).toEqual([
      'KL_COMPLIANCE_HIPAA_ENCRYPTION',
      'KL_COMPLIANCE_HIPAA_HTTPS',
      'KL_COMPLIANCE_HIPAA_SYNCHRONOUS',
      'KL_COMPLIANCE_HIPAA_SESSION_IDLE',
      'KL_COMPLIANCE_HIPAA_PHI_POLICY',
      'KL_COMPLIANCE_HIPAA_PHI_POLICY',
    ])
    expect((error as KoyaErrorList).message).toContain('"patients"')
  })

  it('leaves an app without it alone', async () => {
    const app = await clinicApp()
    await app.close()
  })
})
