/**
 * The two scripts every Deno worker runs, written beside the function's bundle (fn.js) in the
 * version's directory. Plain JavaScript: Deno runs them as they are.
 *
 * - user.js, a Web Worker: the function's thread. It takes stdin and stdout for itself, then
 *   removes stdin/stdout/stderr from its `Deno` namespace before the function is imported, so the
 *   function cannot reach them. It reads the server's messages (one JSON object per line) from
 *   stdin, runs the calls it is given, several at once (async handlers interleave), each with its
 *   `ctx`, captures the console into log messages (each to the call that wrote it) and writes its
 *   answers to stdout: the lines of one turn in one write. When stdin closes (the server stopped)
 *   it tells the supervisor, which exits.
 * - main.js, the supervisor (the process's main thread): starts that thread and runs no user code,
 *   so it keeps running whatever the function does: when the server goes away (even kill -9) its
 *   parent changes and it exits, within WATCH_PARENT_MS, even while a call holds the function's
 *   thread in a loop. (It used to relay every line between the pipe and the function's thread:
 *   two more thread wake-ups per batch of calls; decision 205.)
 *
 * Bodies travel base64-encoded. `ctx.fetch` (and `ctx.client`, built on it) sends requests to
 * the KoyaLite server as `call` messages on the same channel: the server runs them as the caller,
 * in process, so the function never needs network access to the server.
 */

/** How often the supervisor checks that the server (its parent process) is still there. */
const WATCH_PARENT_MS = 100

export const MAIN_SCRIPT = `// KoyaLite functions: the worker's supervisor. Generated; do not edit.
const parent = Deno.ppid
const worker = new Worker(new URL('./user.js', import.meta.url), { type: 'module' })
// The function's thread saw the server close the pipe (it stopped): so does the worker.
worker.onmessage = () => Deno.exit(0)
worker.onerror = (event) => {
  event.preventDefault()
  let bytes = new TextEncoder().encode(JSON.stringify({ t: 'fatal', message: String(event.message ?? event) }) + '\\n')
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes))
  Deno.exit(70)
}
// The server died (kill -9 included): this process was handed to another parent.
setInterval(() => {
  if (Deno.ppid !== parent) Deno.exit(0)
}, ${WATCH_PARENT_MS})
`

export const USER_SCRIPT = `// KoyaLite functions: the thread that runs the function. Generated; do not edit.
// The pipe to the server is this thread's alone: the function gets no stdin/stdout/stderr.
const stdin = Deno.stdin
const stdout = Deno.stdout
for (const name of ['stdin', 'stdout', 'stderr']) {
  try { delete Deno[name] } catch { Object.defineProperty(Deno, name, { value: undefined }) }
}
import { AsyncLocalStorage } from 'node:async_hooks'
// Several calls run at once: each console line goes to the call whose code wrote it.
const current = new AsyncLocalStorage()
// Lines written in one turn go to the server in one write.
const encoder = new TextEncoder()
let outbox = ''
const flush = () => {
  let bytes = encoder.encode(outbox)
  outbox = ''
  while (bytes.length > 0) bytes = bytes.subarray(stdout.writeSync(bytes))
}
const post = (message) => {
  if (outbox === '') queueMicrotask(flush)
  outbox += JSON.stringify(message) + '\\n'
}
const text = (args) => args.map((a) => (typeof a === 'string' ? a : Deno.inspect(a))).join(' ')
for (const [name, stream] of [['log', 'stdout'], ['info', 'stdout'], ['debug', 'stdout'], ['warn', 'stderr'], ['error', 'stderr'], ['trace', 'stderr']]) {
  console[name] = (...args) => post({ t: 'log', id: current.getStore() ?? null, stream, text: text(args) })
}
function toBase64(bytes) {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}
function fromBase64(text) {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
const pending = new Map()
let calls = 0
function makeCtx(invocation) {
  const id = invocation.id
  async function koyaFetch(input, init) {
    const request = new Request(new URL(input instanceof Request ? input.url : String(input), 'http://koyalite.internal'), init ?? (input instanceof Request ? input : undefined))
    const url = new URL(request.url)
    const body = request.body === null ? null : toBase64(new Uint8Array(await request.arrayBuffer()))
    const callId = ++calls
    const answer = await new Promise((resolve, reject) => {
      pending.set(callId, { resolve, reject })
      post({ t: 'call', id, callId, method: request.method, path: url.pathname + url.search, headers: [...request.headers], body })
    })
    const empty = answer.status === 204 || answer.status === 304 || answer.body === null
    return new Response(empty ? null : fromBase64(answer.body), { status: answer.status, headers: answer.headers })
  }
  async function request(method, path, body, headers = {}) {
    const response = await koyaFetch(path, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) })
    const raw = await response.text()
    const data = raw === '' ? null : JSON.parse(raw)
    if (!response.ok) {
      const error = new Error(data?.message ?? 'HTTP ' + response.status)
      error.status = response.status
      error.code = data?.code
      throw error
    }
    return data
  }
  const query = (q) => (q === undefined || q === '' ? '' : '?' + (typeof q === 'string' ? q.replace(/^\\?/, '') : new URLSearchParams(q)))
  const client = {
    fetch: koyaFetch,
    request,
    from(table) {
      const base = '/api/' + encodeURIComponent(table)
      return {
        list: (q) => request('GET', base + query(q)),
        get: (rowId, q) => request('GET', base + '/' + encodeURIComponent(rowId) + query(q)),
        create: (row) => request('POST', base, row, { prefer: 'return=representation' }),
        update: (rowId, patch) => request('PATCH', base + '/' + encodeURIComponent(rowId), patch, { prefer: 'return=representation' }),
        delete: (rowId) => request('DELETE', base + '/' + encodeURIComponent(rowId)),
      }
    },
  }
  const log = {}
  for (const level of ['debug', 'info', 'warn', 'error']) log[level] = (...args) => post({ t: 'log', id, stream: level === 'warn' || level === 'error' ? 'stderr' : 'stdout', text: level + ': ' + text(args) })
  const env = {}
  for (const name of invocation.env) env[name] = Deno.env.get(name)
  return Object.freeze({ userId: invocation.caller.userId, roles: Object.freeze([...invocation.caller.roles]), requestId: invocation.requestId, client: Object.freeze(client), fetch: koyaFetch, log: Object.freeze(log), env: Object.freeze(env) })
}
const loaded = await import('./fn.js')
const handler = loaded.default
if (typeof handler !== 'function') throw new TypeError('The function file has no default export that is a function.')
post({ t: 'ready' })
async function run(message) {
  try {
    const ctx = makeCtx(message)
    if (message.typed) {
      const output = await handler(message.input, ctx)
      post({ t: 'result', id: message.id, output: output === undefined ? null : output })
    } else {
      const hasBody = message.body !== null && message.method !== 'GET' && message.method !== 'HEAD'
      const request = new Request(message.url, { method: message.method, headers: message.headers, body: hasBody ? fromBase64(message.body) : undefined })
      const response = await handler(request, ctx)
      if (!(response instanceof Response)) throw new TypeError('The function returned ' + (response === null ? 'null' : typeof response) + ', not a Response.')
      const bytes = new Uint8Array(await response.arrayBuffer())
      post({ t: 'result', id: message.id, status: response.status, headers: [...response.headers], body: toBase64(bytes) })
    }
  } catch (error) {
    post({ t: 'error', id: message.id, message: String(error?.message ?? error), stack: typeof error?.stack === 'string' ? error.stack : null })
  }
}
function receive(message) {
  if (message.t === 'reply') {
    const waiting = pending.get(message.callId)
    pending.delete(message.callId)
    waiting?.resolve(message)
  } else if (message.t === 'invoke') current.run(message.id, run, message)
  else if (message.t === 'ping') post({ t: 'pong', seq: message.seq })
}
// One read may carry several lines (and the start of the next): each line is one JSON message.
let buffered = ''
const decoder = new TextDecoder()
for await (const chunk of stdin.readable) {
  buffered += decoder.decode(chunk, { stream: true })
  let start = 0
  for (let end; (end = buffered.indexOf('\\n', start)) >= 0; start = end + 1) {
    if (end > start) receive(JSON.parse(buffered.slice(start, end)))
  }
  buffered = buffered.slice(start)
}
// The server closed the pipe (it stopped): the supervisor ends the process.
self.postMessage('eof')
`
