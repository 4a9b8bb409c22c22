import { createQueue, loadHandlers, loadModel } from '../../runtime/index.ts'
import { checkJobPayload } from '../../runtime/jobs/job-payloads.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import { bootApp } from '../boot-app.ts'
import type { Command } from '../command.ts'
import { databasePath, openCliDatabase } from '../database-path.ts'
import { colors } from '../io.ts'

const FINISHED = new Set(['done', 'dead', 'cancelled'])

export const jobsCommand: Command = {
  usage: `koyalite jobs <list|run> [name] [--payload json] [--db file]

  list                     the app's jobs: schedule, time zone, retries, timeout
  run <name>               enqueue a run of the job and run it in this process (a running
                           server may claim it first); prints the run and exits 0 when it
                           succeeds, 1 when it fails for good
  --payload <json>         the payload run(ctx, payload) receives (default {}), checked
                           against the job's payload schema before it is enqueued
  --db <file>              the SQLite database (default: $KOYA_DB, else ./data/koya.db)`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('jobs', args, { db: { type: 'string' }, payload: { type: 'string' } })
    const [action, name] = positionals
    const c = colors(io)
    const model = loadModel(io.cwd)
    const jobs = model.jobs ?? []
    if (action === 'list') {
      if (jobs.length === 0) io.out('No jobs: add them to defineConfig({ jobs }).')
      for (const job of jobs) {
        const schedule = job.cron === null ? c.dim('enqueued only') : `${job.cron}${job.timezone === null ? '' : ` (${job.timezone})`}`
        io.out(`  ${c.cyan(job.name.padEnd(20))} ${schedule}${job.retry?.attempts != null ? c.dim(`  ${job.retry.attempts} attempts`) : ''}${job.timeoutMs !== null ? c.dim(`  timeout ${job.timeoutMs} ms`) : ''}`)
      }
      return 0
    }
    if (action !== 'run') throw new KoyaError('KL_CLI_USAGE', action === undefined ? 'jobs needs an action.' : `jobs has no action "${action}".`, { hint: 'Use `koyalite jobs list` or `koyalite jobs run <name>`.' })
    if (name === undefined || !jobs.some((job) => job.name === name)) {
      throw new KoyaError('KL_CLI_USAGE', name === undefined ? 'jobs run needs a job name.' : `The app has no job "${name}".`, { hint: `Jobs: ${jobs.map((job) => job.name).join(', ') || '(none)'}. Run \`koyalite jobs list\`.` })
    }
    let payload: unknown = {}
    if (values.payload !== undefined) {
      try {
        payload = JSON.parse(values.payload)
      } catch {
        throw new KoyaError('KL_CLI_USAGE', '--payload is not JSON.', { hint: `Quote it for the shell: --payload '{"workspaceId":"…"}'.` })
      }
    }
    // Checked against the job's schema before anything is opened or enqueued: a refused payload
    // leaves the queue as it was (the worker would refuse it too, but only after enqueueing it).
    const { payloads } = await loadHandlers(io.cwd, { model })
    checkJobPayload(name, payloads?.[name], payload, 'KL_JOB_PAYLOAD_INVALID')
    const db = openCliDatabase(databasePath(io, values.db))
    // A server of its own, not listening: its worker runs what is enqueued here (and other due work).
    const app = await bootApp({ ...io, env: { ...io.env, KOYA_JOBS_POLL: io.env.KOYA_JOBS_POLL ?? '50ms' } }, db)
    try {
      await app.ready()
      // Enqueued and watched through the table; the booted app's worker claims it.
      const queue = createQueue(db)
      const id = queue.enqueue(`job:${name}`, payload)
      io.out(`${c.dim('→')} run ${id} of ${name} enqueued`)
      let run = queue.get(id)
      while (run !== undefined && !FINISHED.has(run.status)) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        run = queue.get(id)
      }
      if (run?.status === 'done') {
        io.out(`${c.green('✓')} ${name} done${run.result === null ? '' : `: ${JSON.stringify(run.result)}`}`)
        return 0
      }
      io.err(`${c.red('✗')} ${name} ${run?.status ?? 'vanished'} after ${run?.attempts ?? 0} attempt(s): ${run?.lastError ?? ''}`)
      return 1
    } finally {
      await app.close()
      db.close()
    }
  },
}
