import { readFileSync } from 'node:fs'
import path from 'node:path'
import { KoyaError } from '../shared/errors.ts'
import type { Command } from './command.ts'
import { packageRoot } from './package-root.ts'
import { colors, processIO, type CliIO } from './io.ts'
import { reportError } from './report-error.ts'
import { recordCommand } from './command-history.ts'

/**
 * The commands, loaded on use: `generate` should not pay for Fastify and SQLite, nor `start`
 * for the compiler.
 */
export const commands = {
  init: { summary: 'Create a new KoyaLite project in a directory', load: async () => (await import('./commands/init.ts')).initCommand },
  generate: { summary: 'Compile koyalite.ts into generated/ (model, types, migrations)', load: async () => (await import('./commands/generate.ts')).generateCommand },
  migrate: { summary: 'Apply, undo or list migrations (up | down | status)', load: async () => (await import('./commands/migrate.ts')).migrateCommand },
  start: { summary: 'Serve the app from generated/ on embedded SQLite', load: async () => (await import('./commands/start.ts')).startCommand },
  jobs: { summary: 'List the app\'s jobs, or run one now (list | run <name> [--payload json])', load: async () => (await import('./commands/jobs.ts')).jobsCommand },
  dev: { summary: 'Generate, migrate and serve, again on every change', load: async () => (await import('./commands/dev.ts')).devCommand },
  backup: { summary: 'Write an online, checked backup of the database', load: async () => (await import('./commands/backup.ts')).backupCommand },
  restore: { summary: 'Restore a backup into the database, atomically', load: async () => (await import('./commands/restore.ts')).restoreCommand },
  info: { summary: 'Show the project, its database and its schema version', load: async () => (await import('./commands/info.ts')).infoCommand },
  env: { summary: 'Check or list the environment variables koyalite.ts reads (check | list)', load: async () => (await import('./commands/env.ts')).envCommand },
  seed: { summary: 'Run seed/*.ts on the database, idempotently (refused in production unless --force)', load: async () => (await import('./commands/seed.ts')).seedCommand },
  db: { summary: 'Development only: drop the database, migrate and seed (reset); encrypt, decrypt or rekey it', load: async () => (await import('./commands/seed.ts')).dbCommand },
  maintenance: { summary: 'Make the API read-only, or serve writes again (on | off | status)', load: async () => (await import('./commands/maintenance.ts')).maintenanceCommand },
  functions: { summary: 'Deploy edge functions, list their versions, roll back (deploy | list | versions | rollback)', load: async () => (await import('./commands/functions.ts')).functionsCommand },
  storage: { summary: 'List, upload, download or delete a bucket\'s objects (ls | put | get | rm)', load: async () => (await import('./commands/storage.ts')).storageCommand },
} as const satisfies Record<string, { summary: string; load: () => Promise<Command> }>

type CommandName = keyof typeof commands

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name)
}

function version(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

function printHelp(io: CliIO): void {
  const c = colors(io)
  io.out(`${c.bold('koyalite')} ${version()}: config-as-code backend for TypeScript\n`)
  io.out('Usage: koyalite <command> [options]\n')
  for (const [name, command] of Object.entries(commands)) io.out(`  ${c.cyan(name.padEnd(10))} ${command.summary}`)
  io.out(`\nRun ${c.cyan('koyalite <command> --help')} for a command's options.`)
  io.out('Exit codes: 0 ok, 1 a problem to fix (printed with a code and a hint), 2 an internal error.')
}

/**
 * Run the CLI with `argv` (without node and the script). Never throws and never exits: returns
 * the exit code, so tests call it in-process.
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      printHelp(io)
      return name === undefined ? 1 : 0
    }
    if (name === '--version' || name === '-v') {
      io.out(version())
      return 0
    }
    if (!isCommandName(name)) {
      throw new KoyaError('KL_CLI_USAGE', `Unknown command "${name}".`, { hint: `Commands: ${Object.keys(commands).join(', ')}. Run \`koyalite --help\`.` })
    }
    const command = await commands[name].load()
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.usage)
      return 0
    }
    // Every command run against a project is recorded in its database (GET /admin/cli-history).
    const started = performance.now()
    let code = 2
    try {
      code = await command.run(rest, io).catch((error: unknown) => reportError(io, error))
      return code
    } finally {
      recordCommand(io, name, rest, code, performance.now() - started)
    }
  } catch (error) {
    return reportError(io, error)
  }
}
