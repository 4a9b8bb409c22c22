import type { ErrorCodeInfo } from '../error-codes.ts'

/** Codes of operating an app: backups, background work, the CLI, the SDK, internal failures. Part of the one registry (../error-codes.ts). */
export const OPERATE_ERROR_CODES = {
  // ── BACKUP: koyalite backup and restore ─────────────────────────────────────────────────────
  KL_BACKUP_WRITE_FAILED: {
    description: 'The snapshot or its archive could not be written (no space, no permission, a directory in the way).',
    solution: 'Free space or choose another place with --out or --dir; the live database is untouched.',
  },
  KL_BACKUP_NOT_FOUND: {
    description: 'The backup file given to restore does not exist, or the backup named by `restore --from <bucket>/<key>` is not in the bucket.',
    solution: 'Check the path; `koyalite backup` prints where it wrote each archive (data/backups by default).',
  },
  KL_BACKUP_CORRUPT: {
    description: 'The backup is not one KoyaLite can trust: not a readable archive, no manifest, a database that does not match its manifest\'s SHA-256, or one that fails its integrity check.',
    solution: 'Restore another backup; nothing was changed.',
  },
  KL_BACKUP_SCHEMA_NEWER: {
    description: 'The backup has migrations the project does not have: it was made by a newer version of the app.',
    solution: 'Restore it with the version of the app that made it (check out its generated/migrations), then upgrade.',
  },
  KL_BACKUP_TARGET_EXISTS: {
    description: 'The database to restore into exists, and restore replaces a database only when asked to.',
    solution: 'Pass --force (the current file is kept beside it as <file>.pre-restore-<instant>), or restore to another file with --db.',
  },
  KL_BACKUP_LIVE: {
    description: 'Another process has the database open: it is not replaced under a running server.',
    solution: 'Stop the server or `koyalite dev` that uses it, then restore again.',
  },

  // ── JOB: the queue, jobs, cron and email delivery ────────────────────────────────────────────
  KL_ENV_MISSING: {
    description: 'An environment variable koyalite.ts declares as required (`env(\'NAME\', schema)` whose schema does not accept undefined) is not set, so the server does not start. Every such variable is reported at once.',
    solution: 'Set it in the environment, in `.env` or `.env.<KOYA_ENV>`, or in the secrets provider; `koyalite env list` shows which are set.',
  },
  KL_ENV_INVALID: {
    description: 'An environment variable is set but its value does not pass the schema koyalite.ts declares for it (`env(\'NAME\', schema)`); the value itself is never printed.',
    solution: 'Fix the value, then run `koyalite env check`.',
  },
  KL_ENV_SECRETS_UNREACHABLE: {
    description: 'The secrets provider (`secrets: { provider: \'infisical\' }`) could not be reached at start: no connection, a timeout, or a server error. The server does not start on partial settings.',
    solution: 'Check `siteUrl` and the network path to Infisical, then start again; a server already running keeps the secrets it has and retries at the next refresh.',
  },
  KL_ENV_SECRETS_REFUSED: {
    description: 'Infisical refused the machine identity (universal auth: wrong client id or secret) or its read of the secrets (no access to the project, or no such environment or path).',
    solution: 'Check the client id and secret variables, that the identity is a member of the project with read access, and `projectId`, `environment` and `path` in koyalite.ts.',
  },
  KL_SEED_FAILED: {
    description: 'A seed (`seed/*.ts`, `defineSeed`) asked for something the app does not have (a user who does not exist, a users table), or one of its writes was refused.',
    solution: 'Read the message: create the user first with `user(email)`, or fix the rows the seed writes.',
  },
  KL_SEED_REFUSED: {
    description: '`koyalite seed` was run in production, or `koyalite db reset` outside development: both write or drop data a running app holds.',
    solution: 'Seed production deliberately with `koyalite seed --force`; reset only a development database (KOYA_ENV=development).',
  },
  KL_JOB_UNKNOWN_KIND: {
    description: 'A job was enqueued (or claimed) under a kind no feature registered: a job removed from koyalite.ts, or a typo in `ctx.enqueue`.',
    solution: 'Enqueue one of the jobs in defineConfig({ jobs }); runs of a removed job fail here and stay dead in the queue (retry them after restoring the job).',
  },
  KL_JOB_TIMEOUT: {
    description: 'A job run took longer than its `timeout`: its `ctx.signal` was aborted and the attempt counts as failed.',
    solution: 'Pass `ctx.signal` to fetch and long loops so the work stops, make the work smaller, or raise `timeout` in job({ … }).',
  },
  KL_JOB_CANCELLED: {
    description: 'A job run was cancelled (POST /admin/jobs/runs/:id/cancel): its `ctx.signal` was aborted and it is not retried.',
    solution: 'Nothing to fix: retry the run (POST /admin/jobs/runs/:id/retry) to run it again.',
  },
  KL_JOB_LEASE_EXPIRED: {
    description: 'A running job\'s lease expired: the process running it died (or stalled past its lease), so the attempt counts as failed and the run is retried.',
    solution: 'Nothing to fix when a process crashed. A process that stalls its event loop longer than the lease (KOYA_JOBS_LEASE, default 30s) should move the blocking work off the event loop.',
  },
  KL_JOB_NOT_FINISHED: {
    description: 'A run that is still pending or running cannot be retried.',
    solution: 'Wait until it is done, dead or cancelled, or cancel it first.',
  },
  KL_JOB_INVALID: {
    description: 'Enqueue options are out of range (a negative delay, a non-JSON payload, a group limit under 1).',
    solution: 'Give a JSON-serializable payload, durations such as \'500ms\' or \'10s\', and limits of at least 1.',
  },
  KL_JOB_PAYLOAD_INVALID: {
    description: 'A job declared with a `payload` schema (job({ payload })) was enqueued (ctx.enqueue, `koyalite jobs run`) or claimed with a payload the schema refuses; such a run is never run (a claimed one is dead at once).',
    solution: 'Read the message: it names each field the schema refused. Enqueue the job with a payload of the declared shape (the SDK\'s JobPayloads and OpenAPI show it), or retry the run after fixing the job.',
  },
  KL_JOB_EMAIL_REJECTED: {
    description: 'The email provider refused a message for good (a 4xx answer other than 429: a bad address, an unverified sender); it is not retried.',
    solution: 'Read the provider\'s message in the run\'s lastError (GET /admin/jobs/runs?name=email&status=dead), fix the address or the `email.from` sender, then retry the run.',
  },
  KL_JOB_EMAIL_FAILED: {
    description: 'The email provider could not take a message now (429, 5xx or no answer); the send is retried with backoff, with the same idempotency key.',
    solution: 'Usually nothing: the queue retries. If every attempt fails, check the provider\'s status and the API key (email.apiKey).',
  },
  KL_JOB_WEBHOOK_FAILED: {
    description: 'A webhook delivery attempt failed: the receiver answered other than 2xx (a 3xx too: redirects are not followed), did not answer within 15 s, or could not be reached. It is retried on the webhook\'s schedule, never sooner than its Retry-After.',
    solution: 'Read the attempt in GET /admin/webhooks/deliveries (status, answer, error). Make the receiver answer 2xx quickly and do its work afterwards.',
  },
  KL_JOB_WEBHOOK_GONE: {
    description: 'A webhook receiver answered 410 Gone: the endpoint is disabled and its deliveries are dead until it is enabled again.',
    solution: 'Point the webhook at a live receiver, then replay a delivery (POST /admin/webhooks/deliveries/:id/replay), which enables the endpoint.',
  },
  KL_JOB_WEBHOOK_DISABLED: {
    description: 'A webhook endpoint is disabled (it answered 410, or every attempt failed for KOYA_WEBHOOK_DISABLE_AFTER, default 5 days; an audit-log entry `webhook.disabled` says when): its deliveries are dead at once.',
    solution: 'Fix the receiver, then replay a delivery (POST /admin/webhooks/deliveries/:id/replay): that enables the endpoint again.',
  },
  KL_JOB_WEBHOOK_BLOCKED: {
    description: 'A webhook destination resolves to a loopback, private, link-local or cloud-metadata address, which webhooks may not reach (SSRF guard, checked when connecting).',
    solution: 'Use a public URL, or, for a receiver meant to be internal, add its host to KOYA_WEBHOOK_ALLOW_HOSTS (comma-separated) and replay the delivery.',
  },
  KL_JOB_WEBHOOK_CONFIG: {
    description: 'A webhook cannot be delivered as configured: its URL or secret variable is unset or malformed (a secret is `whsec_` and 24 to 64 bytes in base64), or a setting is not a duration or number.',
    solution: 'Set the variable the message names (e.g. KOYA_WEBHOOK_<NAME>_SECRET) and restart.',
  },

  // ── CLI: command-line usage ──────────────────────────────────────────────────────────────────
  KL_CLI_USAGE: {
    description: 'The command line has an unknown command, an unknown flag or a missing value.',
    solution: 'Run `koyalite --help` or `koyalite <command> --help`.',
  },
  KL_CLI_INIT_NOT_EMPTY: {
    description: '`koyalite init` was pointed at a directory that is not empty.',
    solution: 'Choose a new or empty directory.',
  },
  KL_CLI_INIT_PACK: {
    description: '`koyalite init --pack` could not pack the KoyaLite checkout it runs from (`npm pack`, which builds dist/ first, failed).',
    solution: 'Run `npm pack` in the checkout to see why, or give the dependency yourself with --koyalite <spec>.',
  },

  KL_CLI_DATABASE: {
    description: 'The SQLite database file cannot be opened (a missing directory that cannot be created, a directory in its place, no permission, or not a database).',
    solution: 'Pass another file with --db (or KOYA_DB), or fix the permissions of the one named.',
  },
  KL_CLI_PORT_IN_USE: {
    description: 'The server cannot listen: the port is taken or the address is not this machine\'s.',
    solution: 'Stop the other process, or choose another port with --port (or PORT); --port 0 picks a free one.',
  },

  // ── CLIENT: raised by the generated SDK in the caller's process ─────────────────────────────
  KL_CLIENT_NETWORK: {
    description: 'The SDK could not reach the server (or the runtime has no fetch); the error\'s status is 0.',
    solution: 'Check the `url` given to createClient and that the server is running.',
  },
  KL_CLIENT_ABORTED: {
    description: 'An SDK upload was stopped by its AbortSignal (`signal` in the upload\'s options); the error\'s status is 0. A resumable upload keeps what the server received.',
    solution: 'Nothing to fix; to continue a resumable upload, call uploadResumable again with the `uploadUrl` that `onUploadUrl` gave.',
  },
  KL_CLIENT_BAD_RESPONSE: {
    description: 'The server answered with something a KoyaLite server does not send (not JSON, or a count without a total).',
    solution: 'Check that the `url` given to createClient points at a KoyaLite server, not a proxy\'s error page.',
  },

  // ── INT: internal ────────────────────────────────────────────────────────────────────────────
  KL_INT_UNEXPECTED: {
    description: 'Something failed inside KoyaLite that should not have.',
    solution: 'This is a bug: report it with the command you ran and the log line that carries the request id or stack.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
