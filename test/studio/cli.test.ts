import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.ts'

const bin = path.join(repoRoot, 'bin', 'koyalite.js')
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-studio-cli-'))
let stop: (() => Promise<void>) | undefined
afterAll(async () => {
  await stop?.()
  rmSync(dir, { recursive: true, force: true })
})

describe('koyalite start announces Studio', () => {
  it('prints Studio\'s URL and a one-time setup link that creates the first admin', async () => {
    // The reference app (its generated/ is committed) on a fresh database.
    const child = spawn('node', [bin, 'start', '--port', '0', '--db', path.join(dir, 'app.db')], { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', NO_COLOR: '1' } })
    stop = async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    let output = ''
    const link = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no setup link within 60 s:\n${output}`)), 60_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = /create the first one at (http:\/\/127\.0\.0\.1:\d+)\/_\/setup#token=([\w-]+)/.exec(output)
        if (match) {
          clearTimeout(timer)
          resolve(match)
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
    })
    const [, url, token] = link
    expect(output).toContain(`Studio: ${url}/_/`)
    const page = await fetch(`${url}/_/setup`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<div id="root">')
    const created = await fetch(`${url}/admin/studio/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, email: 'first@example.com', password: 'correct horse battery staple', profile: { displayName: 'First' } }),
    })
    expect(created.status).toBe(201)
    expect(await (await fetch(`${url}/admin/studio/setup`)).json()).toMatchObject({ needed: false })
  }, 90_000)
})
