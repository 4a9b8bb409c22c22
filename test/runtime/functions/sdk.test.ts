import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { buildOpenApiDocument } from '../../../engine/codegen/openapi/emit-openapi.ts'
import { sdkGenerator } from '../../../engine/codegen/sdk/emit-sdk.ts'
import { jsonSchemaOf } from '../../../engine/compiler/build-columns.ts'
import { repoRoot } from '../../helpers/paths.ts'
import { functionsApp, killDenoUnder, SERVICE_KEY, type FunctionsTestApp } from './functions-fixture.ts'

const ADD = `export default async (input, ctx) => {
  ctx.log.info('adding', input.a, input.b)
  return input.a === 13 ? { sum: 'unlucky' } : { sum: input.a + input.b, by: ctx.userId, label: input.label ?? null }
}`

const input = jsonSchemaOf(z.object({ a: z.number().int(), b: z.number(), label: z.string().max(20).optional() }))!
const output = jsonSchemaOf(z.object({ sum: z.number(), by: z.string().nullable(), label: z.string().nullable() }))!

describe('functions: typed, from the generated SDK', () => {
  let t: FunctionsTestApp
  const sdkDir = path.join(repoRoot, 'test', '.tmp', `functions-sdk-${process.pid}`)
  beforeAll(async () => {
    t = await functionsApp([{ name: 'add', code: ADD, input, output, auth: 'system' }, { name: 'raw', code: 'export default () => new Response("raw")' }])
    const files = sdkGenerator.generate({ ir: t.model, source: 'koyalite.ts' })
    mkdirSync(sdkDir, { recursive: true })
    for (const file of files) writeFileSync(path.join(sdkDir, path.basename(file.path)), file.contents)
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
    rmSync(sdkDir, { recursive: true, force: true })
  })

  it('prints koya.functions.<name> typed from the zod schemas, only for typed functions', () => {
    const files = sdkGenerator.generate({ ir: t.model, source: 'koyalite.ts' })
    const sdk = files.find((file) => file.path === 'generated/sdk/index.ts')!.contents
    expect(sdk).toContain('async add(input: { a: number; b: number; label?: string }): Promise<{ by: string | null; label: string | null; sum: number }>')
    expect(sdk).toContain('readonly functions: FunctionsClient')
    expect(sdk).not.toMatch(/async raw\(/)
  })

  it('calls the function through the SDK against the live server', async () => {
    const { createClient } = (await import(path.join(sdkDir, 'index.ts'))) as { createClient: (options: { url: string; token: string }) => any } // eslint-disable-line @typescript-eslint/no-explicit-any
    const koya = createClient({ url: t.url, token: SERVICE_KEY })
    expect(await koya.functions.add({ a: 2, b: 3.5, label: 'x' })).toEqual({ sum: 5.5, by: null, label: 'x' })
    // Input validated before any worker is asked: a coded 400.
    await expect(koya.functions.add({ a: 1.5, b: 1 })).rejects.toMatchObject({ status: 400, code: 'KL_API_VALIDATION' })
    // Output checked against its schema.
    await expect(koya.functions.add({ a: 13, b: 1 })).rejects.toMatchObject({ status: 502, code: 'KL_API_FUNCTION_FAILED' })
    // auth: 'system'.
    await expect(createClient({ url: t.url, token: 'not-a-token' }).functions.add({ a: 1, b: 1 })).rejects.toMatchObject({ status: 401 })
  })

  it('documents each function in OpenAPI with its schemas', () => {
    const doc = buildOpenApiDocument(t.model, 'koyalite.ts') as unknown as { paths: Record<string, Record<string, any>> } // eslint-disable-line @typescript-eslint/no-explicit-any
    const add = doc.paths['/functions/add']!.post
    expect(add.operationId).toBe('invokeAdd')
    expect(add.requestBody.content['application/json'].schema.properties.a).toEqual({ type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 })
    expect(add.responses['200'].content['application/json'].schema.properties.sum).toEqual({ type: 'number' })
    expect(Object.keys(doc.paths['/functions/raw']!)).toEqual(['post'])
    expect(doc.paths['/admin/functions/{name}/invocations']!.get.operationId).toBe('listFunctionInvocations')
  })
})
