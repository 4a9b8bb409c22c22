import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.ts'

/**
 * ARCHITECTURE.md §3: imports run one way. Each layer lists the layers it may import. `ir/` holds
 * the IR types and the pure helpers over them that the compiler, codegen, migrations and the
 * runtime share. (`infra/` and `studio/` join this table when they exist.)
 */
type Layer = 'shared' | 'dsl' | 'ir' | 'compiler' | 'codegen' | 'migrate' | 'runtime' | 'cli' | 'testing'

const allowed: Record<Layer, readonly Layer[]> = {
  shared: [],
  dsl: ['shared'],
  ir: ['shared'],
  compiler: ['ir', 'dsl', 'shared'],
  codegen: ['ir', 'shared'],
  migrate: ['ir', 'shared'],
  runtime: ['ir', 'shared'],
  cli: ['shared', 'dsl', 'ir', 'compiler', 'codegen', 'migrate', 'runtime'],
  // `koyalite/testing` boots the project as `koyalite start` does (cli/boot-app.ts, which loads
  // only the runtime): it never loads the compiler.
  testing: ['shared', 'ir', 'migrate', 'runtime', 'cli'],
}

/**
 * Packages only the compiler may load: the runtime never loads the TypeScript compiler, tsx, or
 * esbuild (it runs the handler bundles esbuild made at generate time).
 */
const compilerOnlyPackages = ['typescript', 'ts-morph', 'tsx', 'esbuild']

interface ImportEdge {
  readonly file: string
  readonly specifier: string
  readonly typeOnly: boolean
}

const engineDir = path.join(repoRoot, 'engine')

function engineFiles(dir = engineDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return engineFiles(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8')
  const edges: ImportEdge[] = []
  for (const match of text.matchAll(IMPORT)) edges.push({ file, specifier: match[3]!, typeOnly: match[2] !== undefined })
  for (const match of text.matchAll(DYNAMIC_IMPORT)) edges.push({ file, specifier: match[1]!, typeOnly: false })
  return edges
}

function layerOf(file: string): Layer {
  return path.relative(engineDir, file).split(path.sep)[0] as Layer
}

describe('engine import direction', () => {
  const files = engineFiles()

  it('finds every layer of ARCHITECTURE.md §3 and nothing else', () => {
    expect(new Set(files.map(layerOf))).toEqual(new Set(Object.keys(allowed)))
  })

  it('sees imports (the parser is not vacuous)', () => {
    const edges = files.flatMap(importsOf)
    expect(edges.length).toBeGreaterThan(50)
    expect(edges.some((e) => e.typeOnly)).toBe(true)
  })

  for (const layer of Object.keys(allowed) as Layer[]) {
    it(`${layer}/ imports only ${allowed[layer].join(', ') || 'nothing from the engine'}`, () => {
      const violations: string[] = []
      for (const file of files.filter((f) => layerOf(f) === layer)) {
        for (const edge of importsOf(file)) {
          const where = `${path.relative(repoRoot, file)} → ${edge.specifier}`
          if (!edge.specifier.startsWith('.')) {
            const pkg = edge.specifier.split('/')[0]!
            if (layer !== 'compiler' && compilerOnlyPackages.includes(pkg)) violations.push(`${where} (only compiler/ may load the TypeScript toolchain)`)
            if (layer === 'dsl' && edge.specifier.startsWith('node:')) violations.push(`${where} (dsl/ is pure: no Node APIs)`)
            continue
          }
          const target = path.resolve(path.dirname(file), edge.specifier)
          const targetLayer = layerOf(target)
          if (targetLayer === layer) continue
          if (!allowed[layer].includes(targetLayer)) violations.push(where)
          // Of cli/, testing/ takes only the boot (which loads the runtime alone), never main.ts's commands.
          if (layer === 'testing' && targetLayer === 'cli' && !['boot-app.ts', 'io.ts'].includes(path.basename(target))) violations.push(`${where} (testing/ may use cli/boot-app.ts only)`)
        }
      }
      expect(violations).toEqual([])
    })
  }
})
