import type { FastifyInstance } from 'fastify'
import { applyMigrations, readMigrations } from '../../migrate/index.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { parseCommandArgs, parsePort } from '../args.ts'
import type { Command } from '../command.ts'
import { announceStudio, bootApp } from '../boot-app.ts'
import { withEnvFiles } from '../env-files.ts'
import { withSecrets } from '../secrets-env.ts'
import { assertEnvironment } from '../../runtime/environment/check-env.ts'
import { loadModel } from '../../runtime/index.ts'
import { databaseOptionsOf, databasePath, listenError, openCliDatabase } from '../database-path.ts'
import { colors, type CliIO } from '../io.ts'

export interface RunningServer {
  readonly app: FastifyInstance
  readonly db: SqliteDatabase
  readonly url: string
  close(): Promise<void>
}

export interface ServeOptions {
  readonly port: number
  readonly host: string
  readonly db: string
  readonly migrate: boolean
}

/** Boot the app from generated/: open the database, apply pending migrations, listen. */
export async function serve(io: CliIO, options: ServeOptions): Promise<RunningServer> {
  // Every missing or invalid env(…) variable at once, before the database is opened.
  assertEnvironment(loadModel(io.cwd), io.env)
  const db = openCliDatabase(options.db, databaseOptionsOf(io))
  try {
    if (options.migrate) {
      for (const name of applyMigrations(db, readMigrations(io.cwd).migrations)) io.out(`  ${colors(io).green('↑')} ${name}`)
    }
    const app = await bootApp(io, db)
    const address = await app.listen({ port: options.port, host: options.host }).catch((cause: unknown) => {
      throw listenError(cause, options.host, options.port)
    })
    let closed = false
    return {
      app,
      db,
      url: address,
      async close() {
        if (closed) return
        closed = true
        await app.close() // stops accepting, lets in-flight requests finish
        db.close()
      },
    }
  } catch (error) {
    db.close()
    throw error
  }
}

export function serveOptions(io: CliIO, args: readonly string[], command: string): ServeOptions {
  const { values } = parseCommandArgs(command, args, {
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    db: { type: 'string' },
    'no-migrate': { type: 'boolean' },
  })
  return {
    port: parsePort(values.port ?? io.env.PORT, 3000),
    host: values.host ?? io.env.HOST ?? '127.0.0.1',
    db: databasePath(io, values.db),
    migrate: !values['no-migrate'],
  }
}

/** Resolve when SIGINT or SIGTERM arrives. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

export const startCommand: Command = {
  usage: `koyalite start [--port 3000] [--host 127.0.0.1] [--db file] [--no-migrate]

  Serves the app described by generated/ (run \`koyalite generate\` first). Pending migrations
  are applied before listening unless --no-migrate. SIGTERM or SIGINT stops accepting
  connections, lets in-flight requests finish and closes the database.

  --port <n>     port (default: $PORT, else 3000)
  --host <addr>  address (default: $HOST, else 127.0.0.1)
  --db <file>    SQLite database (default: $KOYA_DB, else ./data/koya.db)

  Environment:
    KOYA_SERVICE_KEY      when set, the bearer token of the system role (past every policy;
                          for server-side code only)
    KOYA_PUBLIC_URL       the URL people open, when koyalite.ts sets no auth.publicUrl: emailed
                          links and OAuth callbacks are built from it (default
                          http://127.0.0.1:3000)
    KOYA_TRUSTED_ORIGINS  comma-separated origins whose pages may use the session cookie and
                          read answers (CSRF, CORS), added to auth.trustedOrigins
    KOYA_TRUST_PROXY      behind a proxy: true, or the proxies' addresses (comma-separated);
                          client addresses for rate limits come from X-Forwarded-For
    KOYA_REALTIME_PRESENCE_TTL_MS  how long the channel members of a process that died
                          without parting stay listed (default 30000)
    NODE_ENV=production   Secure session cookie (__Host-koya_session)
    KOYA_ENV              development, test, staging or production: which .env.<env> file and
                          environments.<env> overrides apply (default: NODE_ENV, else production)
    LOG_LEVEL             default info

  With defineConfig({ secrets: { provider: 'infisical', … } }) the secrets are read from
  Infisical before the env(…) checks (files < Infisical < process environment), and again every
  secrets.refresh; Infisical unreachable at start stops the start (KL_ENV_SECRETS_UNREACHABLE).`,
  async run(args, processIo) {
    // Listening for signals before anything is printed: a supervisor may stop the server the
    // moment it reads "serving", and the default action would kill it without closing.
    const stopped = untilSignal()
    // The secrets provider's values are laid in before serve() checks the env(…) declarations.
    const io = await withSecrets(processIo.env, withEnvFiles(processIo, { dev: false }), { dev: false })
    if (io.secrets) io.out(`${colors(io).green('✓')} ${io.secrets.names().length} secret(s) from ${io.secrets.source.description}`)
    const server = await serve(io, serveOptions(io, args, 'start'))
    const refresh = io.secrets?.startRefresh((event) => {
      if (event.kind === 'failed') server.app.log.warn({ code: event.error.code, reason: event.error.message }, 'secrets not refreshed: the values in force are kept')
      else if (event.changed.length > 0) server.app.log.info({ changed: event.changed }, 'secrets refreshed')
    })
    io.out(`${colors(io).green('✓')} serving ${colors(io).bold(server.url)}`)
    announceStudio(io, server.url, server.db)
    const signal = await stopped
    io.out(`${signal}: shutting down`)
    refresh?.stop()
    await server.close()
    return 0
  },
}
