import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { colors } from '../io.ts'
import { packageRoot } from '../package-root.ts'

/** A registry install depends on the version; a checkout of the engine links to it. */
function dependencySpec(root: string): string {
  const { version } = enginePackage(root)
  return root.split(path.sep).includes('node_modules') ? `^${version}` : `file:${root}`
}

/**
 * The Pulumi program of the Docker stack (infra/ of the package: docs/deploy.md), without the
 * reference app's example environments: the project's own come with `pulumi stack init`.
 */
export const INFRA_FILES = ['Pulumi.yaml', 'package.json', 'package-lock.json', 'tsconfig.json', 'index.ts', 'stack.ts', 'stack-file.ts', 'settings.ts', 'foundation.ts', 'api.ts', 'services.ts', 'gateway.ts']

function copyInfra(root: string, dir: string): void {
  mkdirSync(path.join(dir, 'infra'))
  for (const file of INFRA_FILES) cpSync(path.join(root, 'infra', file), path.join(dir, 'infra', file))
  writeFileSync(path.join(dir, 'infra', '.gitignore'), '/bin/\n/node_modules/\n')
}

function enginePackage(root: string): { version: string; devDependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; devDependencies?: Record<string, string> }
}

export const initCommand: Command = {
  usage: `koyalite init <dir> [--name app-name]

  Writes koyalite.ts, schema/ (users and notes), policies/, a test using koyalite/testing,
  tsconfig.json and package.json into <dir>, which must be new or empty, with a Dockerfile and
  infra/ (the Pulumi program of the Docker stack).
  Then: cd <dir> && npm install && npx koyalite dev (and npm test)`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('init', args, { name: { type: 'string' } })
    const target = positionals[0]
    if (target === undefined) throw new KoyaError('KL_CLI_USAGE', 'init needs a directory.', { hint: 'Run `koyalite init my-app`.' })
    const dir = path.resolve(io.cwd, target)
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new KoyaError('KL_CLI_INIT_NOT_EMPTY', `${dir} is not empty.`)
    const name = (values.name ?? path.basename(dir)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'koyalite-app'

    const root = packageRoot()
    mkdirSync(dir, { recursive: true })
    cpSync(path.join(root, 'templates', 'init'), dir, { recursive: true })
    renameSync(path.join(dir, 'gitignore'), path.join(dir, '.gitignore')) // npm drops .gitignore from packages
    renameSync(path.join(dir, 'dockerignore'), path.join(dir, '.dockerignore'))
    copyInfra(root, dir)
    for (const file of ['koyalite.ts', 'README.md']) {
      const full = path.join(dir, file)
      writeFileSync(full, readFileSync(full, 'utf8').replaceAll('{{name}}', name))
    }
    const manifest = {
      name,
      private: true,
      type: 'module',
      scripts: { dev: 'koyalite dev', generate: 'koyalite generate', start: 'koyalite generate && koyalite start', check: 'koyalite generate --check', test: 'koyalite generate && vitest run' },
      dependencies: { koyalite: dependencySpec(root) },
      // The test kit (koyalite/testing) runs under vitest; the template's test/ uses it.
      devDependencies: { vitest: enginePackage(root).devDependencies?.vitest ?? 'latest' },
      // npm 11 runs dependency install scripts only when allowed: these two build native code.
      allowScripts: { 'better-sqlite3': true, esbuild: true },
      engines: { node: '>=22.12' },
    }
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')

    const c = colors(io)
    io.out(`${c.green('✓')} created ${c.bold(name)} in ${dir}`)
    io.out(`\n  cd ${path.relative(io.cwd, dir) || '.'}\n  npm install\n  npx koyalite dev\n`)
    return 0
  },
}
