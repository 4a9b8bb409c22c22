import path from 'node:path'
import { parseCommandArgs } from '../args.ts'
import { generateProject } from '../generate-project.ts'
import { colors, printError, type CliIO } from '../io.ts'
import type { Command } from '../command.ts'

export const generateCommand: Command = {
  usage: `koyalite generate [--check] [--allow-data-loss] [--config koyalite.ts]

  Type-checks and validates the definition, reporting every problem at once, then writes
  generated/: model.json, types.ts, the bundled code of jobs, webhooks and functions and,
  when the schema changed, the next migration.

  --check            write nothing; exit 1 if generated/ is out of date (for CI)
  --allow-data-loss  allow a migration that drops or narrows data (drop table/column, type change)
  --config <file>    the definition file (default: koyalite.ts)`,
  async run(args, io) {
    const { values } = parseCommandArgs('generate', args, {
      check: { type: 'boolean' },
      'allow-data-loss': { type: 'boolean' },
      config: { type: 'string' },
    })
    const started = performance.now()
    const result = await generateProject({
      root: io.cwd,
      ...(values.config ? { configFile: values.config } : {}),
      allowDataLoss: values['allow-data-loss'] ?? false,
      check: values.check ?? false,
    })
    for (const warning of result.warnings) printError(io, warning)
    report(io, result, values.check ?? false, performance.now() - started)
    return 0
  },
}

function report(io: CliIO, result: Awaited<ReturnType<typeof generateProject>>, check: boolean, ms: number): void {
  const c = colors(io)
  const tables = `${result.ir.tables.length} table${result.ir.tables.length === 1 ? '' : 's'}`
  if (check) {
    io.out(`${c.green('✓')} generated/ is up to date (${tables}).`)
    return
  }
  const marks = { created: c.green('+'), changed: c.yellow('~'), removed: c.red('-') } as const
  for (const change of result.changes) io.out(`  ${marks[change.state]} ${change.path.split(path.sep).join('/')}`)
  if (result.migration) io.out(`${c.green('✓')} migration ${c.bold(result.migration.name)}: ${result.migration.steps.length} step(s)`)
  io.out(`${c.green('✓')} generated ${tables} in ${Math.round(ms)} ms${result.changes.length === 0 ? ' (no changes)' : ''}.`)
}
