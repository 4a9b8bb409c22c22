import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { repoRoot } from '../../helpers/paths.ts'
import { newSecret, SERVICE_KEY, startReceiver } from './webhook-fixtures.ts'

/**
 * Issue 12: kill -9 of the server with deliveries pending and in flight; after a restart every
 * committed event is delivered, and an event delivered more than once always carries the same
 * webhook-id.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-webhook-crash-'))
const dbFile = path.join(dir, 'app.db')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function start(env: Record<string, string>): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/runtime/webhooks/crash-server.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ...env, KOYA_TEST_DB: dbFile, NO_COLOR: '1' },
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no server after 60 s:\n${output}`)), 60_000)
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
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? undefined : reject(new Error(`exited ${code}:\n${output}`))))
  })
}

async function call(origin: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(origin + url, { method, headers: { authorization: `Bearer ${SERVICE_KEY}`, prefer: 'return=representation', 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

describe('webhook deliveries under kill -9', () => {
  it('every committed event is delivered after a restart, each under one webhook-id', async () => {
    const db = openDatabase(dbFile)
    applyMigrations(db, readMigrations(repoRoot).migrations)
    db.close()
    const secret = newSecret()
    const receiver = await startReceiver([secret])
    // Slow answers: when the server dies some deliveries are in flight and most are pending.
    receiver.answer = () => ({ status: 200, delayMs: 150 })
    const env = { HOOK_URL: receiver.url, HOOK_SECRET: secret, KOYA_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', KOYA_JOBS_LEASE: '1s', KOYA_JOBS_POLL: '20ms', KOYA_WEBHOOK_CONCURRENCY: '2', KOYA_SERVICE_KEY: SERVICE_KEY }
    try {
      let server = await start(env)
      const owner = await call(server.origin, 'POST', '/api/users', { email: 'owner@example.com', displayName: 'Owner' })
      expect(owner.status).toBe(201)
      const ownerId = (Array.isArray(owner.body) ? owner.body[0] : owner.body).id
      const created = new Set<string>()
      for (let i = 0; i < 30; i++) {
        const response = await call(server.origin, 'POST', '/api/workspaces', { name: `w${i}`, slug: `w${i}`, ownerId })
        expect(response.status).toBe(201)
        created.add((Array.isArray(response.body) ? response.body[0] : response.body).id)
      }
      server.child.kill('SIGKILL')
      await new Promise((resolve) => server.child.once('exit', resolve))
      const before = receiver.received.length
      expect(before).toBeLessThan(30) // the kill left deliveries to do

      receiver.answer = () => ({ status: 200 })
      server = await start(env)
      try {
        const delivered = () => new Set(receiver.received.filter((r) => r.status === 200).map((r) => r.body.record.id as string))
        await receiver.waitFor(() => delivered().size === created.size, 30_000)
        expect(delivered()).toEqual(created)
        expect(receiver.received.every((r) => r.verified)).toBe(true)
        const idsByRecord = new Map<string, Set<string>>()
        for (const r of receiver.received) idsByRecord.set(r.body.record.id, (idsByRecord.get(r.body.record.id) ?? new Set()).add(r.id))
        for (const ids of idsByRecord.values()) expect(ids.size).toBe(1)
        expect(new Set(receiver.received.map((r) => r.id)).size).toBe(created.size)
      } finally {
        server.child.kill('SIGKILL')
      }
    } finally {
      await receiver.close()
    }
  }, 120_000)
})
