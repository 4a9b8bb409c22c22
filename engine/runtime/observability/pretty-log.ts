import { createColors } from 'picocolors'

/**
 * `koyalite dev`'s log format: one short line per entry, no JSON. A request reads
 * `09:14:02 GET /api/tasks 200 3.1ms user=0193… req=4f2a…`; anything else
 * `09:14:02 WARN message key=value`. Production keeps pino's JSON.
 */

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
/** Fields every line has, or that the short form already shows. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'method', 'url', 'route', 'statusCode', 'responseTime', 'userId', 'remoteAddress'])

/**
 * The short form of one pino JSON line, newline included; undefined for a line that is not JSON.
 *
 * @example
 * prettyLine('{"level":30,"time":0,"msg":"request completed","method":"GET","url":"/healthz","statusCode":200,"responseTime":1.2}', false)
 * // '00:00:00 GET /healthz 200 1.2ms\n'
 */
export function prettyLine(text: string, colors: boolean): string | undefined {
  let line: Record<string, unknown>
  try {
    line = JSON.parse(text) as Record<string, unknown>
  } catch {
    return undefined
  }
  const c = createColors(colors)
  const time = c.dim(new Date(typeof line.time === 'number' ? line.time : 0).toISOString().slice(11, 19))
  const level = typeof line.level === 'number' ? line.level : 30
  if (line.msg === 'request completed' && typeof line.statusCode === 'number') {
    const status = line.statusCode
    const paint = status >= 500 ? c.red : status >= 400 ? c.yellow : c.green
    const who = typeof line.userId === 'string' ? ` ${c.dim(`user=${short(line.userId)}`)}` : ''
    const id = typeof line.reqId === 'string' ? ` ${c.dim(`req=${short(line.reqId)}`)}` : ''
    return `${time} ${c.bold(String(line.method))} ${String(line.url)} ${paint(String(status))} ${String(line.responseTime)}ms${who}${id}\n`
  }
  const name = LEVEL_NAMES[level] ?? String(level)
  const paint = level >= 50 ? c.red : level >= 40 ? c.yellow : level <= 20 ? c.dim : c.cyan
  const rest = Object.entries(line)
    .filter(([key]) => !SHOWN.has(key))
    .map(([key, value]) => `${key}=${key === 'err' ? errorText(value) : typeof value === 'string' ? value : JSON.stringify(value)}`)
  const id = typeof line.reqId === 'string' ? ` ${c.dim(`req=${short(line.reqId)}`)}` : ''
  return `${time} ${paint(name)} ${String(line.msg ?? '')}${rest.length > 0 ? ` ${c.dim(rest.join(' '))}` : ''}${id}\n`
}

/** Ids are UUIDs: their first 8 characters tell them apart in a terminal. */
function short(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id
}

function errorText(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const err = value as { type?: string; message?: string; stack?: string }
    return `${err.type ?? 'Error'}: ${err.message ?? ''}${err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}`
  }
  return String(value)
}
