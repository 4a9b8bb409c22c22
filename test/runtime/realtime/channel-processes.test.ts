import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli.ts'
import { repoRoot } from '../../helpers/paths.ts'
import type { Message } from './realtime-helpers.ts'

/**
 * Two real `koyalite start` processes of the reference app on one database file: a member of a
 * channel on one sees the broadcasts, joins and parts of the members on the other (decision 147);
 * a third, killed with SIGKILL, has its members expire from the others' presence.
 */
const bin = path.join(repoRoot, 'bin', 'koyalite.js')
const SERVICE_KEY = 'channel-processes-service-key-0123456789'
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-channels-'))
const file = path.join(dir, 'app.db')
const servers: ChildProcess[] = []
// Presence of a dead process expires after this (KOYA_REALTIME_PRESENCE_TTL_MS; default 30 s).
const PRESENCE_TTL_MS = 1500

function start(): Promise<{ origin: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, 'start', '--port', '0', '--db', file, '--no-migrate'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', KOYA_SERVICE_KEY: SERVICE_KEY, KOYA_REALTIME_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS), LOG_LEVEL: 'warn', NO_COLOR: '1' },
  })
  servers.push(child)
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no server after 60 s:\n${output}`)), 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(/serving (http:\/\/127\.0\.0\.1:\d+)/)
      if (match) {
        clearTimeout(timer)
        resolve({ origin: match[1]!, child })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)))
  })
}

function stopAll(): Promise<void> {
  return Promise.all(
    servers.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.removeAllListeners('exit')
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
          child.once('exit', () => {
            clearTimeout(kill)
            resolve()
          })
          child.kill('SIGTERM')
        }),
    ),
  ).then(() => undefined)
}

let origins: string[] = []
beforeAll(async () => {
  expect((await runCli(repoRoot, ['migrate', 'up', '--db', file])).code).toBe(0)
  origins = [(await start()).origin, (await start()).origin]
}, 150_000)
afterAll(async () => {
  await stopAll()
  rmSync(dir, { recursive: true, force: true })
}, 30_000)

async function open(origin: string): Promise<{ ws: WebSocket; messages: Message[]; next: (match: (m: Message) => boolean, waitMs?: number) => Promise<Message> }> {
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/realtime`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
  const messages: Message[] = []
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())))
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const next = async (match: (m: Message) => boolean, waitMs = 5000) => {
    const deadline = Date.now() + waitMs
    for (;;) {
      const found = messages.find(match)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`nothing matched; got ${JSON.stringify(messages.slice(-5))}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return { ws, messages, next }
}

describe('channels across two koyalite start processes on one database', () => {
  it('presence lists the members of both processes; broadcasts, joins and parts cross over', async () => {
    const a = await open(origins[0]!)
    const b = await open(origins[1]!)
    a.ws.send(JSON.stringify({ type: 'join', channel: 'room:x', presence: { name: 'on A' } }))
    const joinedA = await a.next((m) => m.type === 'joined')
    expect(joinedA.presence).toEqual([{ key: expect.any(String), userId: null, presence: { name: 'on A' } }])
    const memberA = joinedA.presence[0].key

    b.ws.send(JSON.stringify({ type: 'join', channel: 'room:x', presence: { name: 'on B' } }))
    const joinedB = await b.next((m) => m.type === 'joined')
    // B's process sees A's member (in the presence table) beside its own.
    expect(joinedB.presence.map((p: Message) => p.presence.name).sort()).toEqual(['on A', 'on B'])
    const memberB = joinedB.presence.find((p: Message) => p.presence.name === 'on B').key
    expect(memberB).not.toBe(memberA)
    // A's member hears of B's join from the other process.
    expect(await a.next((m) => m.type === 'presence' && m.joins.length > 0)).toEqual({ type: 'presence', channel: 'room:x', joins: [{ key: memberB, userId: null, presence: { name: 'on B' } }], leaves: [] })

    b.ws.send(JSON.stringify({ type: 'broadcast', channel: 'room:x', event: 'cursor', payload: { x: 1 } }))
    expect(await a.next((m) => m.type === 'broadcast')).toEqual({ type: 'broadcast', channel: 'room:x', event: 'cursor', payload: { x: 1 }, from: null })
    a.ws.send(JSON.stringify({ type: 'broadcast', channel: 'room:x', event: 'cursor', payload: { x: 2 } }))
    expect((await b.next((m) => m.type === 'broadcast')).payload).toEqual({ x: 2 })
    // Neither hears its own broadcast back through the other process.
    expect(a.messages.filter((m) => m.type === 'broadcast')).toHaveLength(1)
    expect(b.messages.filter((m) => m.type === 'broadcast')).toHaveLength(1)

    b.ws.close()
    expect(await a.next((m) => m.type === 'presence' && m.leaves.length > 0)).toMatchObject({ leaves: [{ key: memberB }] })
    a.ws.close()
  }, 30_000)

  it('the members of a process killed with SIGKILL leave the others\' presence within the expiry, and are not listed to later joiners', async () => {
    const doomed = await start()
    const a = await open(origins[0]!)
    const c = await open(doomed.origin)
    a.ws.send(JSON.stringify({ type: 'join', channel: 'room:kill', presence: { name: 'on A' } }))
    await a.next((m) => m.type === 'joined')
    c.ws.send(JSON.stringify({ type: 'join', channel: 'room:kill', presence: { name: 'on C' } }))
    const joinedC = await c.next((m) => m.type === 'joined')
    const memberC = joinedC.presence.find((p: Message) => p.presence.name === 'on C').key
    expect(await a.next((m) => m.type === 'presence' && m.joins.length > 0)).toMatchObject({ joins: [{ key: memberC }] })

    // No parting: the process cannot run its shutdown, so only the expiry can take C's member out.
    doomed.child.removeAllListeners('exit')
    const gone = new Promise((resolve) => doomed.child.once('exit', resolve))
    process.kill(doomed.child.pid!, 'SIGKILL')
    await gone
    c.ws.terminate()
    // The documented bound: the TTL, plus a third of it until the survivor's next check, plus a poll.
    const leave = await a.next((m) => m.type === 'presence' && m.leaves.length > 0, PRESENCE_TTL_MS * 2 + 5000)
    expect(leave).toEqual({ type: 'presence', channel: 'room:kill', joins: [], leaves: [{ key: memberC, userId: null, presence: { name: 'on C' } }] })
    expect(a.messages.filter((m) => m.type === 'presence' && m.leaves.length > 0)).toHaveLength(1)

    // A member joining afterwards, on the other live process, is shown only A's member.
    const b = await open(origins[1]!)
    b.ws.send(JSON.stringify({ type: 'join', channel: 'room:kill', presence: { name: 'on B' } }))
    const joinedB = await b.next((m) => m.type === 'joined')
    expect(joinedB.presence.map((p: Message) => p.presence.name).sort()).toEqual(['on A', 'on B'])
    a.ws.close()
    b.ws.close()
  }, 90_000)
})
