import { existsSync, statSync } from 'node:fs'
import { migrationStatus, readMigrations } from '../../migrate/index.ts'
import { environmentOf, readProject } from '../../runtime/meta/project-record.ts'
import { loadModel } from '../../runtime/index.ts'
import { quoteIdent } from '../../shared/sql-text.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databasePath, openCliDatabase } from '../database-path.ts'
import { colors } from '../io.ts'

export const infoCommand: Command = {
  usage: `koyalite info [--db file]

  What this project is and what its database holds: the app's name and environment, the
  database file and its size, the schema version (migrations applied and pending), maintenance
  mode, and the rows of each table.

  --db <file>  the SQLite database (default: $KOYA_DB, else ./data/koya.db)`,
  async run(args, io) {
    const { values } = parseCommandArgs('info', args, { db: { type: 'string' } })
    const c = colors(io)
    const model = loadModel(io.cwd)
    const { migrations } = readMigrations(io.cwd)
    const file = databasePath(io, values.db)
    io.out(`${c.bold(model.name)} ${c.dim(`(${environmentOf(io.env, false)})`)}`)
    io.out(`  tables       ${model.tables.length}, roles ${model.roles.length === 0 ? 'none' : model.roles.join(', ')}`)
    if (file !== ':memory:' && !existsSync(file)) {
      io.out(`  database     ${file} ${c.yellow('(not created yet: `koyalite migrate up` or `koyalite start` makes it)')}`)
      io.out(`  migrations   ${migrations.length} in generated/migrations`)
      return 0
    }
    const db = openCliDatabase(file)
    try {
      const status = migrationStatus(db, migrations)
      const applied = status.filter((s) => s.state === 'applied')
      const pending = status.filter((s) => s.state === 'pending')
      const last = applied.at(-1)
      const project = readProject(db)
      io.out(`  database     ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB)`)
      io.out(`  schema       ${last ? `${last.name}, applied ${last.appliedAt}` : 'no migration applied'}; ${applied.length} applied, ${pending.length === 0 ? 'none pending' : c.yellow(`${pending.length} pending`)}`)
      if (project) {
        io.out(`  served       first ${project.createdAt}, last ${project.servedAt} (${project.environment})`)
        io.out(`  maintenance  ${project.maintenance ? c.yellow(`on${project.maintenanceReason ? `: ${project.maintenanceReason}` : ''}`) : 'off'}`)
      }
      const existing = new Set(db.prepare(`SELECT "name" FROM "sqlite_schema" WHERE "type" = 'table'`).pluck().all() as string[])
      for (const table of model.tables) {
        const rows = existing.has(table.name) ? String(db.prepare(`SELECT count(*) FROM ${quoteIdent(table.name)}`).pluck().get()) : c.dim('not created')
        io.out(`  ${c.cyan(table.name.padEnd(12))} ${rows}`)
      }
      return 0
    } finally {
      db.close()
    }
  },
}
