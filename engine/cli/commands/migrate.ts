import { applyMigrations, migrationStatus, readMigrations, rollbackMigration } from '../../migrate/index.ts'
import { applySystemSchema, systemMigrations } from '../../runtime/index.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databaseOptionsOf, databasePath, openCliDatabase } from '../database-path.ts'
import { colors } from '../io.ts'
import { withProjectEnv } from '../secrets-env.ts'

export const migrateCommand: Command = {
  usage: `koyalite migrate <up|down|status> [--db file]

  up      apply every pending migration, each in its own transaction, and bring
          KoyaLite's own _koya_* tables (sessions, credentials, audit log…) up to date
  down    undo the last applied migration with its .down.sql
  status  list migrations and whether each is applied

  --db <file>  the SQLite database (default: $KOYA_DB, else ./data/koya.db)`,
  async run(args, processIo) {
    const io = await withProjectEnv(processIo, { dev: false })
    const { values, positionals } = parseCommandArgs('migrate', args, { db: { type: 'string' } })
    const action = positionals[0]
    if (action !== 'up' && action !== 'down' && action !== 'status') {
      throw new KoyaError('KL_CLI_USAGE', action === undefined ? 'migrate needs an action.' : `migrate has no action "${action}".`, { hint: 'Use `koyalite migrate up`, `down` or `status`.' })
    }
    const c = colors(io)
    const { migrations } = readMigrations(io.cwd)
    const file = databasePath(io, values.db)
    const db = openCliDatabase(file, databaseOptionsOf(io))
    try {
      switch (action) {
        case 'up': {
          const applied = [...applyMigrations(db, migrations), ...applySystemSchema(db, systemMigrations())]
          for (const name of applied) io.out(`  ${c.green('↑')} ${name}`)
          io.out(`${c.green('✓')} ${applied.length === 0 ? 'database is up to date' : `applied ${applied.length} migration(s)`} (${file}).`)
          return 0
        }
        case 'down': {
          const name = rollbackMigration(db, migrations)
          io.out(`${c.green('✓')} undid ${name} (${file}).`)
          return 0
        }
        case 'status': {
          const status = migrationStatus(db, migrations)
          if (status.length === 0) io.out('No migrations yet: run `koyalite generate`.')
          for (const entry of status) {
            const mark = { applied: c.green('applied '), pending: c.yellow('pending '), tampered: c.red('TAMPERED'), missing: c.red('MISSING ') }[entry.state]
            io.out(`  ${mark} ${entry.name}${entry.appliedAt ? c.dim(`  ${entry.appliedAt}`) : ''}`)
          }
          return status.some((s) => s.state === 'tampered' || s.state === 'missing') ? 1 : 0
        }
      }
    } finally {
      db.close()
    }
  },
}
