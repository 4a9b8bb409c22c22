import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { Cron } from 'croner'
import type { FunctionDef, JobDef, JobRateLimitDef, RetryDef, WebhookDef } from '../dsl/index.ts'
import { functionBundlePath, type FunctionIR, type JobIR, type JobRateLimitIR, type RetryIR, type SettingIR, type WebhookIR, type WebhookOperationIR } from '../ir/project-ir.ts'
import { IDENTIFIER_PATTERN, MAX_NAME_LENGTH, upperSnake } from '../shared/naming.ts'
import { jsonSchemaOf } from './build-columns.ts'
import { parseDurationMs } from '../shared/durations.ts'
import type { Problems } from './problems.ts'

/**
 * Jobs, webhooks and functions: their definitions checked and turned into IR. Their code is not
 * read here: `bundle-handlers.ts` bundles it into generated/.
 */

export interface HandlerDefs {
  readonly jobs?: Readonly<Record<string, JobDef<never>>>
  readonly webhooks?: Readonly<Record<string, WebhookDef>>
  readonly functions?: Readonly<Record<string, FunctionDef>>
}

export interface HandlerIRs {
  readonly jobs?: readonly JobIR[]
  readonly webhooks?: readonly WebhookIR[]
  readonly functions?: readonly FunctionIR[]
}

/** Extensions a function file may have: esbuild reads each by its own loader. */
const FUNCTION_FILE_EXTENSIONS = ['.ts', '.mts', '.tsx', '.js', '.mjs', '.jsx']
const WEBHOOK_OPERATIONS: readonly WebhookOperationIR[] = ['create', 'delete', 'update']

/**
 * Build the IR of the project's jobs, webhooks and functions; a kind the project does not use is
 * left out. `root`, when given, is where function files are looked for (compileDefinition has none).
 */
export function buildHandlerIRs(config: HandlerDefs, tableNames: ReadonlySet<string>, problems: Problems, root: string | undefined): HandlerIRs {
  const jobs = sortedEntries(config.jobs).map(([name, def]) => buildJob(name, def, problems))
  const webhooks = sortedEntries(config.webhooks).map(([name, def]) => buildWebhook(name, def, tableNames, problems))
  const functions = sortedEntries(config.functions).map(([name, def]) => buildFunction(name, def, problems, root))
  return {
    ...(jobs.length > 0 ? { jobs } : {}),
    ...(webhooks.length > 0 ? { webhooks } : {}),
    ...(functions.length > 0 ? { functions } : {}),
  }
}

function sortedEntries<T>(record: Readonly<Record<string, T>> | undefined): [string, T][] {
  // Code-point order, not locale order: model.json must not depend on the machine's locale.
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function checkName(kind: 'jobs' | 'webhooks' | 'functions', name: string, problems: Problems): void {
  if (IDENTIFIER_PATTERN.test(name) && name.length <= MAX_NAME_LENGTH) return
  const what = { jobs: 'Job', webhooks: 'Webhook', functions: 'Function' }[kind]
  problems.add('KL_DEF_INVALID_NAME', `${what} name "${name}" is not an identifier.`, problems.atConfig(`${kind}.${name}`), 'Use letters, digits and underscores, starting with a letter (it appears in URLs and the SDK): e.g. "dailyDigest".')
}

function buildJob(name: string, def: JobDef<never>, problems: Problems): JobIR {
  checkName('jobs', name, problems)
  const key = `jobs.${name}`
  if (def.cron !== undefined) checkCron(def.cron, def.timezone, key, problems)
  else if (def.timezone !== undefined) checkTimezone(def.timezone, key, problems)
  let retry = buildRetry(def.retry, key, problems)
  if (def.retries !== undefined) {
    if (def.retry?.attempts !== undefined) {
      problems.add('KL_DEF_INVALID', `Job "${name}" gives both retries and retry.attempts.`, problems.atConfig(`${key}.retries`), `Keep one: retry: { attempts: ${def.retries + 1} } is retries: ${def.retries}.`)
    }
    retry = { attempts: def.retries + 1, initialDelayMs: retry?.initialDelayMs ?? null, maxDelayMs: retry?.maxDelayMs ?? null }
  }
  return {
    name,
    cron: def.cron?.trim() ?? null,
    timezone: def.timezone ?? null,
    retry,
    timeoutMs: def.timeout === undefined ? null : parseDurationMs(def.timeout),
    concurrency: def.concurrency ?? null,
    ...(def.rateLimit === undefined ? {} : { rateLimit: rateLimitOf(def.rateLimit) }),
    // A validator that is not zod still validates at run time; its JSON Schema is then "any value".
    ...(def.payload === undefined ? {} : { payload: jsonSchemaOf(def.payload, 'input') ?? {} }),
  }
}

function rateLimitOf(def: JobRateLimitDef): JobRateLimitIR {
  const rate = (max: number | undefined, per: string | undefined) => (max === undefined || per === undefined ? null : { max, perMs: parseDurationMs(per) })
  return { kind: rate(def.max, def.per), perKey: def.perKey === undefined ? null : rate(def.perKey.max, def.perKey.per) }
}

/** Checked with croner, the scheduler the jobs feature runs them with, so what passes here runs there. */
export function checkCron(cron: string, timezone: string | undefined, key: string, problems: Problems): void {
  let job: Cron | undefined
  try {
    job = new Cron(cron, { paused: true })
  } catch (cause) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/^CronPattern: /, '').replace(/\.$/, '')
    problems.add('KL_DEF_CRON', `${key}.cron "${cron}" is not a cron expression: ${reason}.`, problems.atConfig(`${key}.cron`))
    return
  } finally {
    job?.stop()
  }
  if (timezone !== undefined) checkTimezone(timezone, key, problems)
}

function checkTimezone(timezone: string, key: string, problems: Problems): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
  } catch {
    problems.add('KL_DEF_CRON', `${key}.timezone "${timezone}" is not an IANA time zone.`, problems.atConfig(`${key}.timezone`), "Name a zone of the IANA database, e.g. 'Europe/Paris' or 'America/New_York'; leave it out for UTC.")
  }
}

export function buildRetry(retry: RetryDef | undefined, key: string, problems: Problems): RetryIR | null {
  if (retry === undefined) return null
  const initialDelayMs = retry.initialDelay === undefined ? null : parseDurationMs(retry.initialDelay)
  const maxDelayMs = retry.maxDelay === undefined ? null : parseDurationMs(retry.maxDelay)
  if (initialDelayMs !== null && maxDelayMs !== null && initialDelayMs > maxDelayMs) {
    problems.add('KL_DEF_INVALID', `${key}.retry.initialDelay (${retry.initialDelay}) is longer than maxDelay (${retry.maxDelay}).`, problems.atConfig(`${key}.retry.initialDelay`), 'Make the first delay no longer than the longest one.')
  }
  return { attempts: retry.attempts ?? null, initialDelayMs, maxDelayMs }
}

function buildWebhook(name: string, def: WebhookDef, tableNames: ReadonlySet<string>, problems: Problems): WebhookIR {
  checkName('webhooks', name, problems)
  const key = `webhooks.${name}`
  if (!tableNames.has(def.table)) {
    const known = [...tableNames].sort()
    problems.add('KL_DEF_UNKNOWN_TABLE', `Webhook "${name}" watches table "${def.table}", which is not defined.`, problems.atConfig(`${key}.table`), known.length > 0 ? `Name one of the tables: ${known.map((t) => `"${t}"`).join(', ')}.` : 'Define the table first, then name it here.')
  }
  const url: SettingIR = typeof def.url === 'string' ? { value: def.url } : { env: def.url.name }
  if ('value' in url && !(URL.canParse(url.value) && ['http:', 'https:'].includes(new URL(url.value).protocol))) {
    problems.add('KL_DEF_INVALID', `${key}.url "${url.value}" is not an absolute http(s) URL.`, problems.atConfig(`${key}.url`), "Write the receiver's address, e.g. 'https://hooks.example.com/tasks', or read it with env('NAME').")
  }
  let secret = { env: `KOYA_WEBHOOK_${upperSnake(name)}_SECRET` }
  if (typeof def.secret === 'string') {
    problems.add('KL_DEF_INVALID', `${key}.secret is written inline; a secret in koyalite.ts would be copied into version control.`, problems.atConfig(`${key}.secret`), `Read it from the environment: env('${secret.env}').`)
  } else if (def.secret !== undefined) {
    secret = { env: def.secret.name }
  }
  return {
    name,
    table: def.table,
    on: WEBHOOK_OPERATIONS.filter((operation) => def.on.includes(operation)),
    url,
    secret,
    hasFilter: def.filter !== undefined,
    hasTransform: def.transform !== undefined,
    retry: buildRetry(def.retry, key, problems),
  }
}

const SIZE_UNITS: Record<string, number> = { KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 }

function buildFunction(name: string, def: FunctionDef, problems: Problems, root: string | undefined): FunctionIR {
  checkName('functions', name, problems)
  const key = `functions.${name}`
  const file = checkFunctionFile(def.file, key, problems, root)
  const allowNet = [...new Set(def.allowNet ?? [])].sort()
  for (const host of allowNet) {
    if (!isHostPattern(host)) problems.add('KL_DEF_INVALID', `${key}.allowNet "${host}" is not a host name.`, problems.atConfig(`${key}.allowNet`), "Write a host, or host:port, without scheme or path: 'api.stripe.com', 'localhost:8080'.")
  }
  const env = [...new Set(def.env ?? [])].sort()
  for (const name of env) {
    // The server's own settings (service key, database key, …) must never reach user code in the sandbox.
    if (name.toUpperCase().startsWith('KOYA_')) problems.add('KL_DEF_INVALID', `${key}.env names "${name}": KOYA_* variables are the server's own and are never passed to a function.`, problems.atConfig(`${key}.env`), 'Give the function a variable of its own name.')
  }
  const memory = def.memory === undefined ? undefined : /^(\d+)(KB|MB|GB)$/.exec(def.memory)
  return {
    name,
    file,
    bundle: functionBundlePath(name),
    input: def.input === undefined ? null : jsonSchemaOf(def.input),
    output: def.output === undefined ? null : jsonSchemaOf(def.output),
    auth: def.auth ?? 'user',
    allowNet,
    env,
    timeoutMs: def.timeout === undefined ? null : parseDurationMs(def.timeout),
    memoryBytes: memory ? Number(memory[1]) * SIZE_UNITS[memory[2]!]! : null,
  }
}

function isHostPattern(text: string): boolean {
  return /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/.test(text)
}

/** The function's file as a project-relative path with forward slashes. */
function checkFunctionFile(file: string, key: string, problems: Problems, root: string | undefined): string {
  const normalized = path.posix.normalize(file.replaceAll('\\', '/')).replace(/^\.\//, '')
  const at = problems.atConfig(`${key}.file`)
  if (path.posix.isAbsolute(normalized) || normalized.startsWith('../') || normalized === '..') {
    problems.add('KL_DEF_FUNCTION_FILE', `${key}.file "${file}" is outside the project.`, at, "Give a path relative to the project root, e.g. 'functions/checkout.ts'.")
    return normalized
  }
  if (!FUNCTION_FILE_EXTENSIONS.includes(path.posix.extname(normalized))) {
    problems.add('KL_DEF_FUNCTION_FILE', `${key}.file "${file}" is not a TypeScript or JavaScript file.`, at, `Name the file with its extension (${FUNCTION_FILE_EXTENSIONS.join(', ')}).`)
    return normalized
  }
  if (root !== undefined) {
    const full = path.join(root, normalized)
    if (!existsSync(full) || !statSync(full).isFile()) problems.add('KL_DEF_FUNCTION_FILE', `${key}.file "${file}" does not exist.`, at, 'Create the file (its default export handles the request) or correct the path.')
  }
  return normalized
}
