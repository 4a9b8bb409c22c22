import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'

/**
 * Studio's page may load only its own files: no external request, no inline script, no eval.
 * Styles come from its own stylesheet too; images only as data: URLs (the ERD's SVG export is a
 * Blob download, which needs no CSP source).
 */
export const STUDIO_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

/** The built Studio: index.html and its content-hashed assets, read once into memory. */
export interface StudioFiles {
  readonly index: string
  /** Each asset, with its gzip twin when the build wrote one (`<name>.gz`). */
  readonly assets: ReadonlyMap<string, { readonly type: string; readonly body: Buffer; readonly gzip?: Buffer }>
}

/**
 * Where `npm run build` put Studio (`dist/studio` of the koyalite package), found by walking up
 * from this file to the package root: the same from engine/ (tests, tsx) and dist/engine/.
 */
export function studioBuildDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'koyalite') {
      const built = path.join(dir, 'dist', 'studio')
      return existsSync(path.join(built, 'index.html')) ? built : undefined
    }
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export function readStudioFiles(dir: string): StudioFiles {
  const assets = new Map<string, { type: string; body: Buffer; gzip?: Buffer }>()
  const assetsDir = path.join(dir, 'assets')
  if (existsSync(assetsDir)) {
    const names = new Set(readdirSync(assetsDir))
    for (const name of names) {
      const type = TYPES[path.extname(name)]
      if (type === undefined) continue
      const gzip = names.has(`${name}.gz`) ? readFileSync(path.join(assetsDir, `${name}.gz`)) : undefined
      assets.set(name, { type, body: readFileSync(path.join(assetsDir, name)), ...(gzip !== undefined ? { gzip } : {}) })
    }
  }
  return { index: readFileSync(path.join(dir, 'index.html'), 'utf8'), assets }
}

/** Shown at /_/ when the package was not built (a checkout before `npm run build`). */
const NOT_BUILT = '<!doctype html><meta charset="utf-8"><title>KoyaLite Studio</title><p>Studio is not built: run <code>npm run build</code> in the koyalite package.</p>'

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', STUDIO_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
}

/**
 * `/_/` and everything under it: a hashed asset (`/_/assets/index-3f2a….js`) is immutable for a
 * year; any other path is a client route of the single-page app and answers index.html, never
 * cached (so a new build is picked up at the next load).
 *
 * @example
 * serveStudio(app, readStudioFiles(studioBuildDir()!))
 */
export function serveStudio(app: FastifyInstance, files: StudioFiles | undefined): void {
  const index = async (_request: unknown, reply: FastifyReply) =>
    secure(reply).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(files?.index ?? NOT_BUILT)
  app.get('/_', async (_request, reply) => reply.redirect('/_/', 308))
  app.get('/_/', index)
  app.get('/_/assets/:name', async (request, reply) => {
    const asset = files?.assets.get((request.params as { name: string }).name)
    if (asset === undefined) return secure(reply).code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('Not found')
    secure(reply).type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding')
    // The build's gzip twin when the browser takes gzip (a third of the bytes on the wire).
    if (asset.gzip !== undefined && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(asset.gzip)
    return reply.send(asset.body)
  })
  app.get('/_/*', index)
}
