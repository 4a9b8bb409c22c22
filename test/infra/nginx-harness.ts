import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** Debian's nginx, or null when this machine has none (.ci/run installs it). */
export function findNginx(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(candidate)) return candidate
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' })
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : null
}

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface LocalGateway {
  readonly dir: string
  readonly httpPort: number
  readonly httpsPort: number
  /** The self-signed certificate (PEM) the clients trust. */
  readonly ca: string
  readonly config: string
  /** What nginx wrote (access log lines, errors). */
  log(): string
  stop(): Promise<void>
}

/**
 * The generated nginx.conf made to run unprivileged on loopback: the few environment facts it
 * holds (ports, the upstream's Docker name, the certificate, temp and webroot paths) are replaced,
 * each of which must occur in the file, so a change of shape fails here rather than going untested.
 */
export function localConfig(generated: string, facts: { dir: string; httpPort: number; httpsPort: number; upstream: string }): string {
  const replacements: [string, string][] = [
    ['listen 80 default_server;', `listen 127.0.0.1:${facts.httpPort} default_server;`],
    ['listen 443 ssl http2 default_server;', `listen 127.0.0.1:${facts.httpsPort} ssl http2 default_server;`],
    ['/etc/nginx/tls/', `${facts.dir}/tls/`],
    ['/var/cache/nginx/', `${facts.dir}/cache/`],
    ['/var/www/certbot', `${facts.dir}/www`],
    ['api:3000', facts.upstream],
  ]
  let config = generated
  for (const [from, to] of replacements) {
    if (!config.includes(from)) throw new Error(`the generated nginx.conf no longer contains "${from}"`)
    config = config.split(from).join(to)
  }
  return config
}

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl. */
export function makeCertificate(dir: string): string {
  mkdirSync(path.join(dir, 'tls'), { recursive: true })
  execFileSync('openssl', ['req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'tls', 'privkey.pem'), '-out', path.join(dir, 'tls', 'fullchain.pem')], { stdio: 'ignore', timeout: 20_000 })
  return readFileSync(path.join(dir, 'tls', 'fullchain.pem'), 'utf8')
}

/**
 * nginx's output goes to a file: the config logs to /dev/stdout and /dev/stderr (Docker collects
 * them), which cannot be opened when they are the sockets Node's pipes are.
 */
function logFile(dir: string, name: string): number {
  return openSync(path.join(dir, name), 'a')
}

export function nginxTest(nginx: string, dir: string): { status: number | null; output: string } {
  const log = logFile(dir, 'nginx-t.log')
  const result = spawnSync(nginx, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `pid ${dir}/nginx.pid;`], { stdio: ['ignore', log, log], timeout: 20_000 })
  closeSync(log)
  return { status: result.status, output: readFileSync(path.join(dir, 'nginx-t.log'), 'utf8') }
}

/** Run the generated nginx.conf on loopback in front of `upstream` (host:port). */
export async function startGateway(nginx: string, generated: string, upstream: string): Promise<LocalGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-nginx-'))
  // nginx's workers run as nobody: they must reach the temp and webroot directories.
  chmodSync(dir, 0o755)
  for (const sub of ['cache', 'www/.well-known/acme-challenge']) mkdirSync(path.join(dir, sub), { recursive: true })
  const ca = makeCertificate(dir)
  const [httpPort, httpsPort] = [await freePort(), await freePort()]
  const config = localConfig(generated, { dir, httpPort, httpsPort, upstream })
  writeFileSync(path.join(dir, 'nginx.conf'), config)
  const checked = nginxTest(nginx, dir)
  if (checked.status !== 0) throw new Error(`nginx -t failed:\n${checked.output}`)
  const log = logFile(dir, 'nginx.log')
  const child: ChildProcess = spawn(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `pid ${dir}/nginx.pid; daemon off;`], { stdio: ['ignore', log, log] })
  closeSync(log)
  const stderr = () => readFileSync(path.join(dir, 'nginx.log'), 'utf8')
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const until = Date.now() + 15_000
  while (!(await accepts(httpsPort))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`nginx did not start:\n${stderr()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    dir,
    httpPort,
    httpsPort,
    ca,
    config,
    log: stderr,
    async stop() {
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

export interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

/** One request to the gateway, trusting its certificate, as the client `localhost`. */
export function send(gateway: LocalGateway, scheme: 'http' | 'https', target: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; agent?: https.Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', path: target, method: options.method ?? 'GET', headers: { host: 'localhost', ...options.headers }, timeout: 10_000 }
    let answered = false
    const onResponse = (response: http.IncomingMessage) => {
      answered = true
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }))
      response.on('error', reject)
    }
    const request =
      scheme === 'https'
        ? https.request({ ...common, port: gateway.httpsPort, ca: gateway.ca, servername: 'localhost', ...(options.agent ? { agent: options.agent } : {}) }, onResponse)
        : http.request({ ...common, port: gateway.httpPort }, onResponse)
    // A refused body (413) may close the connection while it is still being sent: the answer counts.
    request.on('error', (error) => (answered ? undefined : reject(error)))
    request.on('timeout', () => request.destroy(new Error(`timed out: ${target}`)))
    request.end(options.body)
  })
}

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
export const websocketAccept = (key: string) => createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64')

/** One masked text frame, as a client sends it (RFC 6455 §5.2). */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  const mask = Buffer.from([1, 2, 3, 4])
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked])
}

/** The text of one short frame, masked or not. */
export function readTextFrame(frame: Buffer): string {
  // A 7-bit length, or 126 and a 16-bit one (what a short JSON message needs).
  const short = frame[1]! & 0x7f
  const [length, at] = short === 126 ? [frame.readUInt16BE(2), 4] : [short, 2]
  if (frame[1]! & 0x80) {
    const mask = frame.subarray(at, at + 4)
    return Buffer.from(frame.subarray(at + 4, at + 4 + length).map((byte, i) => byte ^ mask[i % 4]!)).toString()
  }
  return frame.subarray(at, at + length).toString()
}
