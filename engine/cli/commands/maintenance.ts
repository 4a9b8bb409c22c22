import { existsSync } from 'node:fs'
import { applySystemSchema, loadModel, systemMigrations } from '../../runtime/index.ts'
import { environmentOf, readProject, setMaintenance } from '../../runtime/meta/project-record.ts'
import { MAINTENANCE_POLL_MS } from '../../runtime/meta/maintenance.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databasePath, openCliDatabase } from '../database-path.ts'
import { colors } from '../io.ts'

export const maintenanceCommand: Command = {
  usage: `koyalite maintenance <on|off|status> [--reason text] [--db file]

  Maintenance mode makes the API read-only: every write of application rows answers 503
  KL_API_MAINTENANCE with Retry-After, reads go on. Servers on the database see the change
  within a second. Use it around migrations and restores.

  --reason <text>  why (shown in the 503's message and by \`koyalite info\`)
  --db <file>      the SQLite database (default: $KOYA_DB, else ./data/koya.db)`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('maintenance', args, { db: { type: 'string' }, reason: { type: 'string' } })
    const action = positionals[0]
    if (action !== 'on' && action !== 'off' && action !== 'status') {
      throw new KoyaError('KL_CLI_USAGE', action === undefined ? 'maintenance needs on, off or status.' : `maintenance has no action "${action}".`, { hint: 'Use `koyalite maintenance on`, `off` or `status`.' })
    }
    const c = colors(io)
    const file = databasePath(io, values.db)
    // A wrong path must not make a new empty database and report the mode switched: the server on
    // the real file would go on taking writes.
    if (file !== ':memory:' && !existsSync(file)) throw new KoyaError('KL_CLI_DATABASE', `There is no database at ${file}.`, { hint: 'Pass the database the server uses with --db (or KOYA_DB).' })
    const db = openCliDatabase(file)
    try {
      if (action === 'status') {
        const project = readProject(db)
        io.out(project?.maintenance ? `maintenance is ${c.yellow('on')}${project.maintenanceReason ? `: ${project.maintenanceReason}` : ''}` : 'maintenance is off')
        return 0
      }
      applySystemSchema(db, systemMigrations())
      const model = loadModel(io.cwd)
      const record = setMaintenance(db, { name: model.name, environment: environmentOf(io.env, false) }, action === 'on', values.reason ?? null, new Date())
      io.out(`${c.green('✓')} maintenance ${record.maintenance ? 'on: writes answer 503' : 'off: writes are served'} (servers see it within ${MAINTENANCE_POLL_MS} ms)`)
      return 0
    } finally {
      db.close()
    }
  },
}
