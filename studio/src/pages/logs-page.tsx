import { useEffect, useState } from 'react'
import { get } from '../api.ts'
import { type PageProps } from '../registry.ts'
import { Problem, problemOf, queryOf } from './admin-common.tsx'

interface LogEntry { seq: number; time: number; level: number; msg: string; line: Record<string, unknown> }

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }
const KEEP = 500

/** The server's log: the last lines, then a live tail over server-sent events (GET /admin/logs/stream). */
function LogsPage({ search }: PageProps) {
  const [level, setLevel] = useState('info')
  // The monitor links a request id here (?text=<id>): its lines.
  const [typed, setTyped] = useState(search.get('text') ?? '')
  const [text, setText] = useState(search.get('text') ?? '')
  const [lines, setLines] = useState<LogEntry[]>([])
  const [live, setLive] = useState(false)
  const [problem, setProblem] = useState('')
  useEffect(() => {
    const filter = queryOf({ level, text })
    let source: EventSource | undefined
    let closed = false
    get<{ entries: LogEntry[] }>(`/admin/logs${queryOf({ level, text, limit: '200' })}`).then((page) => {
      if (closed) return
      setLines(page.entries)
      setProblem('')
      source = new EventSource(`/admin/logs/stream${filter}`)
      source.addEventListener('open', () => setLive(true))
      source.addEventListener('error', () => setLive(false))
      source.addEventListener('log', (event) => {
        const entry = JSON.parse((event as MessageEvent<string>).data) as LogEntry
        setLines((past) => (past.some((p) => p.seq === entry.seq) ? past : [...past, entry].slice(-KEEP)))
      })
    }, (error: unknown) => setProblem(problemOf(error)))
    return () => {
      closed = true
      source?.close()
      setLive(false)
    }
  }, [level, text])
  return (
    <section className="content" aria-label="Logs">
      <h1>Logs</h1>
      <form className="row" onSubmit={(e) => { e.preventDefault(); setText(typed) }}>
        <label>Level <select aria-label="Level" value={level} onChange={(e) => setLevel(e.target.value)}>{Object.values(LEVELS).map((l) => <option key={l}>{l}</option>)}</select></label>
        <label>Text <input aria-label="Log text" value={typed} onChange={(e) => setTyped(e.target.value)} /></label>
        <button type="submit">Filter</button>
        <span className="muted" role="status" data-testid="tail-state">{live ? 'live' : 'not connected'}</span>
      </form>
      <Problem text={problem} />
      <div className="grid-wrap">
        <table className="grid" data-testid="logs">
          <thead><tr><th scope="col">Time</th><th scope="col">Level</th><th scope="col">Message</th><th scope="col">Request</th></tr></thead>
          <tbody>
            {[...lines].reverse().map((entry) => {
              const { method, url, statusCode, reqId, route } = entry.line as { method?: string; url?: string; statusCode?: number; reqId?: string; route?: string }
              return (
                <tr key={entry.seq} data-seq={entry.seq}>
                  <td>{new Date(entry.time).toISOString().slice(11, 23)}</td>
                  <td>{LEVELS[entry.level] ?? entry.level}</td>
                  <td>{entry.msg}{url ? <span className="muted"> {method} {url} {statusCode ?? ''}</span> : null}</td>
                  <td><span className="muted">{reqId ?? ''}{route ? ` ${route}` : ''}</span></td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export default LogsPage
