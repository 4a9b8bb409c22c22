import { describe, expect, it } from 'vitest'
import { emitArtifacts } from '../../engine/codegen/index.ts'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { bucket, defineConfig, t, table } from '../../engine/dsl/index.ts'
import { policySqlText } from '../../engine/ir/policy-printer.ts'
import { OBJECTS_TABLE, withStorageObjects } from '../../engine/ir/storage-objects.ts'
import { storageRoutes } from '../../engine/ir/routes/storage-routes.ts'
import { statusOf } from '../../engine/runtime/rest/http-errors.ts'
import { KoyaError, KoyaErrorList } from '../../engine/shared/errors.ts'

const users = table.users({})
const notes = table('notes', { id: t.id(), ownerId: t.ref(() => users), cover: t.file('images').optional(), files: t.files('images', { max: 4 }).default([]) })

const codesOf = (config: unknown): string[] => {
  try {
    compileDefinition(config)
  } catch (error) {
    expect(error).toBeInstanceOf(KoyaErrorList)
    return (error as KoyaErrorList).errors.map((e) => e.code)
  }
  throw new Error('compiled')
}

describe('bucket() and files on rows in the compiler', () => {
  const ir = compileDefinition(
    defineConfig({
      name: 'buckets',
      tables: { users, notes },
      storage: {
        images: bucket({
          maxSize: '5MB',
          types: ['image/png', 'image/*'],
          access: { read: (o, auth) => o.ownerId === auth.userId || auth.roles.includes('admin'), create: (o, auth) => auth.userId !== null && o.size < 1000000 },
          quota: { perUser: '1GB' },
        }),
        'user-avatars': bucket({}),
      },
    }),
  )

  it('builds BucketIR: sizes in bytes, sorted types, rules compiled over the objects table, deny by default', () => {
    const images = ir.buckets!.find((b) => b.name === 'images')!
    expect(images).toMatchObject({ maxSizeBytes: 5 * 2 ** 20, types: ['image/*', 'image/png'], quota: { perUserBytes: 2 ** 30, totalBytes: null } })
    expect(images.access.delete).toBeNull()
    expect(images.access.create!.expr).toEqual({
      kind: 'and',
      exprs: [
        { kind: 'isNull', value: { kind: 'authUserId' }, negated: true },
        { kind: 'compare', operator: '<', left: { kind: 'column', scope: 0, path: [], column: 'size' }, right: { kind: 'literal', value: 1000000 } },
      ],
    })
    expect(ir.buckets!.find((b) => b.name === 'user-avatars')).toMatchObject({ maxSizeBytes: 10 * 2 ** 20, types: [], access: { read: null, create: null, delete: null } })
    expect(ir.tables.find((t) => t.name === 'notes')!.columns.find((c) => c.name === 'files')).toMatchObject({ type: 'json', file: { bucket: 'images', many: true, max: 4 } })
  })

  it('the data layer\'s model gets the objects table, whose read policy is the bucket rules or a readable row holding the object', () => {
    const served = withStorageObjects(ir)
    const objects = served.policies.find((p) => p.table === OBJECTS_TABLE)!
    // notes has no read policy: its rows add no path to the objects.
    const { sql } = policySqlText(objects.read!.expr, OBJECTS_TABLE, served.tables)
    expect(sql).toBe('("row"."bucket" = ? AND ("row"."ownerId" = ? OR EXISTS (SELECT 1 FROM json_each(?) "p1" WHERE "p1"."value" = ?)))')
    expect(objects.delete).toBeNull()
    expect(withStorageObjects({ ...ir, buckets: [] })).toEqual({ ...ir, buckets: [] })
  })

  it('the /storage contract: twelve entries per bucket (seven for objects, five for tus), each error code at the status the server answers it with', () => {
    const routes = storageRoutes(ir).routes
    expect(routes.map((r) => `${r.method} ${r.path}`).filter((r) => r.includes('/images'))).toEqual(['POST /storage/images', 'GET /storage/images', 'DELETE /storage/images', 'GET /storage/images/:id', 'PATCH /storage/images/:id', 'DELETE /storage/images/:id', 'POST /storage/images/:id/sign', 'OPTIONS /storage/images/resumable', 'POST /storage/images/resumable', 'HEAD /storage/images/resumable/:uploadId', 'PATCH /storage/images/resumable/:uploadId', 'DELETE /storage/images/resumable/:uploadId'])
    expect(routes.filter((r) => r.path.startsWith('/storage/user-avatars')).map((r) => r.id)).toContain('storageUserAvatarsUpload')
    for (const route of routes) for (const error of route.errors) for (const code of error.codes) expect(statusOf(new KoyaError(code, 'x')), `${route.id} ${code}`).toBe(error.status)
  })

  it('access.md shows the objects table and its rules', () => {
    const access = emitArtifacts({ ir, source: 'koyalite.ts' }).find((f) => f.path === 'generated/access.md')!.contents
    expect(access).toContain(`## ${OBJECTS_TABLE}`)
    expect(access).toContain('images: (o, auth) => o.ownerId === auth.userId')
  })

  it('reports every problem: an unsupported rule, a bad name, a bad size, a file column of an unknown bucket', () => {
    const helper = () => true
    expect(
      codesOf(
        defineConfig({
          name: 'bad',
          tables: { users, notes },
          storage: { images: bucket({ access: { read: (o) => helper() && o.size > 1 } }), Bad_Name: bucket({}) },
        }),
      ).sort(),
    ).toEqual(['KL_DEF_INVALID_NAME', 'KL_POLICY_UNSUPPORTED'])
    expect(codesOf(defineConfig({ name: 'bad', tables: { users, notes }, storage: { images: bucket({ maxSize: '10 MB' as '10MB' }) } }))).toEqual(['KL_DEF_INVALID'])
    expect(codesOf(defineConfig({ name: 'bad', tables: { users, notes } }))).toEqual(['KL_DEF_INVALID', 'KL_DEF_INVALID'])
  })

  it('keeps a bucket\'s thumbnail sizes, sorted and unique, and refuses sizes out of bounds', () => {
    const ir = compileDefinition(defineConfig({ name: 'thumbs', tables: { users, notes }, storage: { images: bucket({ thumbnails: ['400x0', '100x100', '400x0'] }) } }))
    expect(ir.buckets?.[0]?.thumbnails).toEqual(['100x100', '400x0'])
    expect(compileDefinition(defineConfig({ name: 'any', tables: { users, notes }, storage: { images: bucket({}) } })).buckets?.[0]?.thumbnails).toBeUndefined()
    expect(codesOf(defineConfig({ name: 'bad', tables: { users, notes }, storage: { images: bucket({ thumbnails: ['3000x10', '0x0'] }) } }))).toEqual(['KL_DEF_INVALID', 'KL_DEF_INVALID'])
    expect(codesOf(defineConfig({ name: 'bad', tables: { users, notes }, storage: { images: bucket({ thumbnails: ['big' as '1x1'] }) } }))).toEqual(['KL_DEF_INVALID'])
  })
})
