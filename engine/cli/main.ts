import { readFileSync } from 'node:fs'
import path from 'node:path'
import { KoyaError } from '../shared/errors.ts'
import type { Command } from './command.ts'
import { devCommand } from './commands/dev.ts'
import { generateCommand } from './commands/generate.ts'
import { initCommand, packageRoot } from './commands/init.ts'
import { migrateCommand } from './commands/migrate.ts'
import { startCommand } from './commands/start.ts'
import { colors, processIO, type CliIO } from './io.ts'
import { reportError } from './report-error.ts'

export const commands = {
  init: initCommand,
  generate: generateCommand,
  migrate: migrateCommand,
  start: startCommand,
  dev: devCommand,
} as const satisfies Record<string, Command>

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
    const command = commands[name]
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.usage)
      return 0
    }
    return await command.run(rest, io)
  } catch (error) {
    return reportError(io, error)
  }
}
