import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (also the reference app's root). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures')
