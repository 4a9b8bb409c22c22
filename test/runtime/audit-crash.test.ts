import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'

/**
 * Issue 10 item 4: a write made while impersonating is audited in its own transaction, so a crash
 * can never leave a committed write without its entry. The server is a real `koyalite start`
 * process, killed with SIGKILL while impersonated writes are in flight, several times.
 */
const bin = path.join(repoRoot, 'bin', 'koyalite.js')
const SERVICE_KEY = 'crash-test-service-key-0123456789'
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-crash-'))
const dbFile = path.join(dir, 'app.db')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function start(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn('node', [bin, 'start', '--port', '0', '--db', dbFile, '--no-migrate'], {
    cwd: repoRoot,
    env: { ...process.env, KOYA_SERVICE_KEY: SERVICE_KEY, LOG_LEVEL: 'warn', NO_COLOR: '1', KOYA_PUBLIC_URL: 'http://127.0.0.1' },
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no server after 30 s:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(/serving (http:\/\/127\.0\.0\.1:\d+)/)
      if (match) {
        clearTimeout(timer)
        resolve({ child, origin: match[1]! })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)))
  })
}

async function call(origin: string, method: string, url: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(origin + url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

describe('impersonated writes under kill -9', () => {
  it('every committed write has exactly one audit entry, whenever the server dies', async () => {
    expect((await runCli(repoRoot, ['migrate', 'up', '--db', dbFile])).code).toBe(0)
    let server = await start()
    // With email verification on, sign-up signs nobody in: log in after it (login works before the link is used).
    const signup = async (email: string) => {
      const password = 'correct horse battery'
      expect((await call(server.origin, 'POST', '/auth/signup', undefined, { email, password, displayName: email.split('@')[0] })).status).toBe(202)
      return (await call(server.origin, 'POST', '/auth/login', undefined, { email, password })).body
    }
    const admin = await signup('admin@example.com')
    const target = await signup('target@example.com')
    expect((await call(server.origin, 'POST', `/admin/users/${admin.user.id}/roles`, SERVICE_KEY, { role: 'admin' })).status).toBe(200)
    const adminToken = admin.session.token as string
    let acknowledged = 0
    for (let cycle = 0; cycle < 4; cycle++) {
      const started = await call(server.origin, 'POST', '/auth/impersonate', adminToken, { userId: target.user.id, reason: `crash test ${cycle}` })
      expect(started.status).toBe(201)
      const token = started.body.session.token as string
      let stop = false
      // 16 writers until the kill: some requests are in flight when the process dies.
      const writers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          try {
            const response = await call(server.origin, 'POST', '/api/workspaces', token, { name: `w${cycle}-${w}-${i}`, slug: `w${cycle}-${w}-${i}`, ownerId: target.user.id })
            if (response.status === 201) acknowledged++
          } catch {
            return // the connection died with the server
          }
        }
      })
      await new Promise((r) => setTimeout(r, 400 + cycle * 150))
      server.child.kill('SIGKILL')
      stop = true
      await Promise.all(writers)
      if (server.child.exitCode === null && server.child.signalCode === null) await new Promise((r) => server.child.once('exit', r))
      server = await start()
    }
    server.child.kill('SIGTERM')
    await new Promise((r) => server.child.once('exit', r))

    const db = openDatabase(dbFile)
    try {
      const written = (db.prepare('SELECT count(*) AS n FROM "workspaces" WHERE "ownerId" = ?').get(target.user.id) as { n: number }).n
      const audited = (db.prepare(`SELECT count(*) AS n FROM "_koya_audit_log" WHERE "action" = 'impersonation.write' AND "subjectId" = ?`).get(target.user.id) as { n: number }).n
      expect(acknowledged).toBeGreaterThan(100) // not vacuous: many writes were made
      expect(written).toBeGreaterThanOrEqual(acknowledged)
      expect(audited).toBe(written)
    } finally {
      db.close()
    }
  }, 120_000)
})
