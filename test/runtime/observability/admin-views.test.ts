import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordCommand } from '../../../engine/cli/command-history.ts'
import { maskArguments } from '../../../engine/runtime/observability/cli-history.ts'
import { authApp, SERVICE_KEY, signedInUser, type AuthTestApp, listen } from '../../helpers/auth-app.ts'

const admin = { authorization: `Bearer ${SERVICE_KEY}` }

/** RFC 4180 CSV: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++
    else field += c
  }
  return rows
}

describe('admin observability views', () => {
  let t: AuthTestApp
  let base: string
  beforeAll(async () => {
    t = await authApp()
    base = await listen(t)
  })
  afterAll(async () => t.close())
  const get = async <T>(url: string, headers: Record<string, string> = admin) => {
    const response = await fetch(`${base}${url}`, { headers })
    return { status: response.status, body: (response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text()) as T }
  }

  it('are refused to anonymous callers and to users without the admin role', async () => {
    const user = await signedInUser(t, 'plain')
    for (const url of ['/admin/monitor', '/admin/performance', '/admin/config', '/admin/cli-history', '/admin/audit/export']) {
      expect((await get(url, {})).status).toBe(401)
      expect((await get(url, { authorization: `Bearer ${user.token}` })).status).toBe(403)
    }
  })

  it('the API monitor gives each route\'s rate, percentiles and error rate, and recent requests with their ids', async () => {
    for (let i = 0; i < 4; i++) await fetch(`${base}/healthz`)
    const { body } = await get<{ since: string; routes: { method: string; route: string; requests: number; errorRate: number; p50Ms: number; p99Ms: number }[]; recent: { requestId: string; route: string; status: number }[] }>('/admin/monitor?limit=10')
    const health = body.routes.find((r) => r.route === '/healthz')!
    expect(health.requests).toBeGreaterThanOrEqual(4)
    expect(health.errorRate).toBe(0)
    expect(health.p50Ms).toBeGreaterThan(0)
    expect(health.p99Ms).toBeGreaterThanOrEqual(health.p50Ms)
    expect(body.recent.length).toBeLessThanOrEqual(10)
    const recent = body.recent.find((r) => r.route === '/healthz')!
    // The request id is the reqId of the request's log line.
    const lines = t.logs.flatMap((chunk) => chunk.split('\n')).filter((l) => l !== '').map((l) => JSON.parse(l) as { reqId?: string; url?: string })
    expect(lines.find((l) => l.reqId === recent.requestId)?.url).toBe('/healthz')
  })

  it('performance shows the loop, memory, SQLite and the slowest statement shapes without values', async () => {
    // Run often enough to rank among the 20 slowest shapes by total time, whatever else the
    // server ran meanwhile (boot, sign-ups, every request's own session lookup).
    for (let i = 0; i < 25; i++) await fetch(`${base}/api/tasks?title=eq.ZEBRA-BOUND-VALUE`, { headers: admin })
    const { body } = await get<{ eventLoop: { p99Ms: number }; memory: { heapUsed: number }; sqlite: { fileBytes: number; journalMode: string }; statements: { count: number; slowest: { sql: string; count: number }[] } }>('/admin/performance')
    expect(body.memory.heapUsed).toBeGreaterThan(0)
    expect(body.sqlite.fileBytes).toBeGreaterThan(0)
    expect(body.sqlite.journalMode).toBe('wal')
    expect(body.statements.count).toBeGreaterThan(0)
    expect(body.statements.slowest.some((s) => s.sql.includes('"tasks"') && s.sql.includes('?'))).toBe(true)
    expect(JSON.stringify(body)).not.toContain('ZEBRA-BOUND-VALUE')
  })

  it('the configuration names the environment variables and whether they are set, never their values', async () => {
    const { body } = await get<{ app: string; env: { name: string; set: boolean; secret: boolean }[]; roles: string[]; access: { table: string; operation: string; policy: string | null }[] }>('/admin/config')
    expect(body.app).toBe('koya-tasks')
    expect(body.env.find((e) => e.name === 'KOYA_PUBLIC_URL')).toMatchObject({ set: true, secret: false })
    expect(body.env.find((e) => e.name === 'GITHUB_CLIENT_SECRET')).toMatchObject({ set: false, secret: true })
    expect(body.roles).toContain('admin')
    expect(body.access.find((a) => a.table === 'tasks' && a.operation === 'read')?.policy).toContain('=>')
    expect(JSON.stringify(body)).not.toContain(SERVICE_KEY)
  })

  it('the audit log exports as CSV with security events marked', async () => {
    const user = await signedInUser(t, 'promoted')
    expect((await fetch(`${base}/admin/users/${user.id}/roles`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'support' }) })).status).toBe(200)
    const response = await fetch(`${base}/admin/audit/export?action=role.grant`, { headers: admin })
    expect(response.headers.get('content-type')).toContain('text/csv')
    const [header, ...rows] = parseCsv(await response.text())
    expect(header).toEqual(['id', 'at', 'actorId', 'subjectId', 'action', 'security', 'reason', 'requestId', 'detail'])
    const row = Object.fromEntries(header!.map((name, i) => [name, rows[0]![i]]))
    expect(row).toMatchObject({ subjectId: user.id, action: 'role.grant', security: 'yes' })
    expect(JSON.parse(row.detail!)).toEqual({ role: 'support' })
  })
})

describe('CLI command history', () => {
  it('masks secrets in arguments', () => {
    expect(maskArguments(['--service-key', 'abc', '--token=xyz', 'KOYA_SERVICE_KEY=s3cret', 'sqlite://u:pw@host/db', 'up'])).toEqual(['--service-key', '***', '--token=***', 'KOYA_SERVICE_KEY=***', 'sqlite://u:***@host/db', 'up'])
  })

  it('records each command run against the project\'s database and lists it to admins', async () => {
    const t = await authApp()
    try {
      const io = { out: () => {}, err: () => {}, color: false, cwd: path.dirname(t.file), env: { USER: 'ana' } }
      recordCommand(io, 'backup', ['--db', t.file, '--api-key', 'hidden-value'], 0, 12.5)
      recordCommand(io, 'migrate', ['up', `--db=${t.file}`], 1, 3)
      const response = await t.app.inject({ url: '/admin/cli-history', headers: admin })
      const runs = response.json() as { command: string; args: string[]; user: string; exitCode: number; durationMs: number }[]
      expect(runs.map((r) => r.command)).toEqual(['migrate', 'backup'])
      expect(runs[1]).toMatchObject({ user: 'ana', exitCode: 0, durationMs: 12.5, args: ['--db', t.file, '--api-key', '***'] })
      expect(response.body).not.toContain('hidden-value')
      const only = (await t.app.inject({ url: '/admin/cli-history?command=backup', headers: admin })).json() as unknown[]
      expect(only).toHaveLength(1)
    } finally {
      await t.close()
    }
  })

  it('records nothing when the project has no database', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-nodb-'))
    try {
      recordCommand({ out: () => {}, err: () => {}, color: false, cwd: dir, env: {} }, 'generate', [], 0, 1)
      // No database is made for the history's sake.
      expect(existsSync(path.join(dir, 'data'))).toBe(false)
      expect(() => recordCommand({ out: () => {}, err: () => {}, color: false, cwd: dir, env: {} }, 'info', ['--db', 'missing.db'], 1, 1)).not.toThrow()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
