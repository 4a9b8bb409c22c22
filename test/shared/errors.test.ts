import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { errorCodes, KoyaError, printErrorsDoc } from '../../engine/shared/errors.ts'
import { repoRoot } from '../helpers/paths.ts'

const docPath = path.join(repoRoot, 'docs', 'errors.md')

describe('error registry', () => {
  it('keeps docs/errors.md in step with the registry', () => {
    const printed = printErrorsDoc()
    if (process.env.KOYA_UPDATE_GOLDEN === '1') writeFileSync(docPath, printed)
    expect(readFileSync(docPath, 'utf8')).toBe(printed)
  })

  it('names every code KL_<FAMILY>_<REASON> with a known family', () => {
    for (const code of Object.keys(errorCodes)) expect(code).toMatch(/^KL_(DEF|POLICY|MIG|API|AUTH|JOB|STORAGE|BACKUP|SEARCH|INT|CLI|CLIENT|ENV|SEED|COMPLIANCE)_[A-Z0-9_]+$/)
  })

  it('gives every code a description and a solution that read as sentences', () => {
    for (const [code, info] of Object.entries(errorCodes)) {
      expect(info.description, code).toMatch(/^[A-Z`].*\.$/)
      expect(info.solution, code).toMatch(/^[A-Z`].*[.)]$/)
    }
  })

  it('serializes to { code, message, hint } without the cause', () => {
    const error = new KoyaError('KL_MIG_FAILED', 'Migration 0002 failed.', { cause: new Error('SQLITE_CONSTRAINT: secret detail') })
    expect(JSON.stringify(error)).toBe(JSON.stringify({ code: 'KL_MIG_FAILED', message: 'Migration 0002 failed.', hint: errorCodes.KL_MIG_FAILED.solution }))
  })
})
