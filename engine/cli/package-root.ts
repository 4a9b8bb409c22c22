import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { KoyaError } from '../shared/errors.ts'

/** The koyalite package's own root: where package.json names it. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'koyalite') return dir
    const parent = path.dirname(dir)
    if (parent === dir) throw new KoyaError('KL_INT_UNEXPECTED', 'Cannot find the koyalite package root.')
    dir = parent
  }
}
