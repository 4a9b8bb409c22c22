import { applyMigrations, readMigrations } from '../../migrate/index.ts'
import { parseCommandArgs, parsePort } from '../args.ts'
import type { Command } from '../command.ts'
import { databaseOptionsOf, databasePath, listenError, openCliDatabase } from '../database-path.ts'
import { generateProject } from '../generate-project.ts'
import { colors, type CliIO } from '../io.ts'
import { reportError } from '../report-error.ts'
import { untilSignal } from './start.ts'
import { announceStudio, bootApp } from '../boot-app.ts'
import { withEnvFiles } from '../env-files.ts'
import { withSecrets } from '../secrets-env.ts'
import { environmentErrors } from '../../runtime/environment/check-env.ts'
import { loadModel } from '../../runtime/index.ts'
import { startHotServer } from '../hot-server.ts'
import { createStudioDevEdits } from '../studio-edits/dev-edits.ts'
import { watchSources } from '../watch-sources.ts'

/** What the dev loop watches, relative to the project root. */
export const WATCHED = ['koyalite.ts', 'schema', 'policies', 'functions'] as const
const DEBOUNCE_MS = 75

export const devCommand: Command = {
  usage: `koyalite dev [--port 3000] [--host 127.0.0.1] [--db file]

  Runs \`generate\`, applies migrations to the dev database and serves the app, then watches
  koyalite.ts, schema/, policies/ and functions/. A change regenerates, migrates and restarts
  the server on the same port; a definition with errors prints them and keeps the last good
  server running. Destructive migrations are refused here as in \`generate\`.`,
  async run(args, processIo) {
    // KOYA_ENV defaults to development here: .env, .env.development and .env.local apply.
    const filesIo = withEnvFiles(processIo, { dev: true })
    // The secrets provider (as of the last generate) is read once; failing, it is reported and dev goes on with the files.
    let io = await withSecrets(processIo.env, filesIo, { dev: true }).catch((error: unknown) => {
      reportError(filesIo, error)
      filesIo.err(colors(filesIo).yellow('secrets: not read from the provider; serving with the .env files only'))
      return filesIo
    })
    const { values } = parseCommandArgs('dev', args, { port: { type: 'string', short: 'p' }, host: { type: 'string' }, db: { type: 'string' } })
    const c = colors(io)
    const options = {
      port: parsePort(values.port ?? io.env.PORT, 3000),
      host: values.host ?? io.env.HOST ?? '127.0.0.1',
      db: databasePath(io, values.db),
    }

    // One database connection and one listening server for the whole session: each rebuild
    // migrates through the connection the app serves with, and each reload builds a new app
    // and swaps it in, so the port never closes.
    const db = openCliDatabase(options.db, databaseOptionsOf(io))
    const rebuild = async (): Promise<boolean> => {
      try {
        const result = await generateProject({ root: io.cwd })
        if (result.migration) io.out(`${c.green('✓')} migration ${result.migration.name}`)
        for (const name of applyMigrations(db, readMigrations(io.cwd).migrations)) io.out(`  ${c.green('↑')} ${name}`)
        // In dev a missing variable is reported, not fatal: the feature that reads it stays off.
        for (const problem of environmentErrors(loadModel(io.cwd), io.env)) io.err(`${c.yellow(problem.code)} ${problem.message}`)
        return true
      } catch (error) {
        reportError(io, error)
        return false
      }
    }

    await rebuild()
    let version = 0
    let running: Promise<void> = Promise.resolve()
    // Studio's schema and policy edits: their generate waits for, and holds off, the loop's rebuilds.
    const studioEdits = createStudioDevEdits(
      io.cwd,
      () => {
        const job = running.then(() => generateProject({ root: io.cwd }))
        running = job.then(() => {}, () => {})
        return job
      },
      // Studio's .env editor wrote the file: its variables are read again (the process
      // environment still wins over the file), then the app reloads with them.
      (values) => {
        const files = withEnvFiles({ ...processIo, env: { KOYA_ENV: processIo.env.KOYA_ENV, NODE_ENV: processIo.env.NODE_ENV } }, { dev: true }).env
        const env = { ...io.env }
        for (const name of Object.keys(values)) {
          if (processIo.env[name] !== undefined) continue
          if (files[name] === undefined) delete env[name]
          else env[name] = files[name]
        }
        io = { ...io, env }
        onChange('.env')
      },
    )
    const server = await startHotServer(options.port, options.host, (factory) => bootApp(io, db, { serverFactory: factory, version: String(version), studioEdits })).catch((cause: unknown) => {
      db.close()
      throw listenError(cause, options.host, options.port)
    })

    let timer: NodeJS.Timeout | undefined
    const onChange = (file: string) => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        running = running.then(async () => {
          io.out(c.dim(`change: ${file}`))
          if (!(await rebuild())) return
          try {
            version++
            await server.swap((factory) => bootApp(io, db, { serverFactory: factory, version: String(version), studioEdits }))
            io.out(`${c.green('✓')} reloaded`)
          } catch (error) {
            reportError(io, error)
          }
        })
      }, DEBOUNCE_MS)
    }
    // Watching starts before the server is announced: a save made once it is announced is seen.
    const watcher = await watchSources(io.cwd, WATCHED, onChange, (error) => reportError(io, error))
    io.out(`${c.green('✓')} dev server on ${c.bold(server.url)}; watching ${WATCHED.join(', ')}`)
    announceStudio(io, server.url, db)

    await untilSignal()
    await watcher.close()
    clearTimeout(timer)
    await running
    await server.close()
    db.close()
    return 0
  },
}
