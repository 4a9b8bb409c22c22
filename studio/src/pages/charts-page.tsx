import { useEffect, useState } from 'react'
import { request } from '../api.ts'
import { subscribeTable } from '../live.ts'
import { type PageProps } from '../registry.ts'

type Kind = 'count' | 'line' | 'bar'
const W = 720
const H = 260
const PAD = 40

/** Rows per day of the timestamp column (count over time), or the value column against x. */
function series(rows: Record<string, unknown>[], kind: Kind, x: string, y: string): { label: string; value: number }[] {
  if (kind === 'count') {
    const days = new Map<string, number>()
    for (const row of rows) {
      const at = row[x]
      if (typeof at !== 'string') continue
      const day = at.slice(0, 10)
      days.set(day, (days.get(day) ?? 0) + 1)
    }
    return [...days].sort((a, b) => a[0].localeCompare(b[0])).map(([label, value]) => ({ label, value }))
  }
  return rows.filter((r) => typeof r[y] === 'number').map((r) => ({ label: String(r[x] ?? ''), value: r[y] as number }))
}

function ChartsPage({ meta }: PageProps) {
  const [tableName, setTableName] = useState(meta.tables[0]?.name ?? '')
  const table = meta.tables.find((t) => t.name === tableName)
  const times = table?.columns.filter((c) => c.type === 'timestamp' || c.type === 'createdAt' || c.type === 'updatedAt' || c.type === 'date') ?? []
  const numbers = table?.columns.filter((c) => c.type === 'int' || c.type === 'real') ?? []
  const [kind, setKind] = useState<Kind>('count')
  const [x, setX] = useState('createdAt')
  const [y, setY] = useState('')
  const [filter, setFilter] = useState('')
  const [every, setEvery] = useState(5)
  const [rows, setRows] = useState<Record<string, unknown>[]>([])
  const [problem, setProblem] = useState('')
  const [updated, setUpdated] = useState('')

  const [live, setLive] = useState(false)
  useEffect(() => {
    if (!table) return
    const load = () => {
      const select = [...new Set([x, ...(kind === 'count' ? [] : [y])].filter((c) => c !== ''))].join(',')
      const url = `/api/${table.name}?select=${select || 'id'}&order=${x || 'id'}.asc&limit=1000${filter ? `&${filter}` : ''}`
      request<Record<string, unknown>[]>('GET', url).then((a) => { setRows(a.body); setProblem(''); setUpdated(new Date().toLocaleTimeString()) }, (e: unknown) => setProblem(e instanceof Error ? e.message : String(e)))
    }
    load()
    // Pushed: the table's changes (realtime) reload the chart, a burst of them once. Polled every
    // `every` seconds only while the subscription is down.
    let pending: ReturnType<typeof setTimeout> | undefined
    let up = false
    const stop = subscribeTable(table.name, () => {
      if (pending === undefined) pending = setTimeout(() => { pending = undefined; load() }, 200)
    }, (state) => { up = state; setLive(state) })
    const timer = setInterval(() => { if (!up) load() }, every * 1000)
    return () => { stop(); clearInterval(timer); if (pending !== undefined) clearTimeout(pending) }
  }, [table, kind, x, y, filter, every])

  const points = series(rows, kind, x, y)
  const max = Math.max(1, ...points.map((p) => p.value))
  const step = points.length > 1 ? (W - 2 * PAD) / (points.length - 1) : 0
  const px = (i: number) => PAD + (points.length > 1 ? i * step : (W - 2 * PAD) / 2)
  const py = (v: number) => H - PAD - (v / max) * (H - 2 * PAD)
  const barWidth = Math.max(2, (W - 2 * PAD) / Math.max(1, points.length) - 4)
  return (
    <section className="content" aria-label="Charts">
      <h1>Charts</h1>
      <div className="row wrap">
        <label>Table <select value={tableName} onChange={(e) => setTableName(e.target.value)}>{meta.tables.map((t) => <option key={t.name}>{t.name}</option>)}</select></label>
        <label>Chart <select value={kind} onChange={(e) => setKind(e.target.value as Kind)}><option value="count">count over time</option><option value="line">line</option><option value="bar">bar</option></select></label>
        <label>X <select value={x} onChange={(e) => setX(e.target.value)}>{(kind === 'count' ? times : table?.columns ?? []).map((c) => <option key={c.name}>{c.name}</option>)}</select></label>
        {kind !== 'count' ? <label>Y <select value={y} onChange={(e) => setY(e.target.value)}><option value="">—</option>{numbers.map((c) => <option key={c.name}>{c.name}</option>)}</select></label> : null}
        <label>Filter <input value={filter} placeholder="status=eq.todo" onChange={(e) => setFilter(e.target.value)} /></label>
        <label>Poll every <input type="number" min={1} max={3600} value={every} onChange={(e) => setEvery(Math.max(1, Number(e.target.value) || 5))} /> s when not live</label>
      </div>
      {problem ? <p className="error" role="alert">{problem}</p> : null}
      <svg className="chart" role="img" aria-label={`${kind} chart of ${tableName}, ${points.length} points`} viewBox={`0 0 ${W} ${H}`}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} stroke="currentColor" />
        <line x1={PAD} y1={PAD} x2={PAD} y2={H - PAD} stroke="currentColor" />
        <text x={PAD - 6} y={PAD + 4} textAnchor="end" fontSize={11} fill="currentColor">{max}</text>
        <text x={PAD - 6} y={H - PAD} textAnchor="end" fontSize={11} fill="currentColor">0</text>
        {kind === 'line' ? <polyline fill="none" stroke="#3b82f6" strokeWidth={2} points={points.map((p, i) => `${px(i)},${py(p.value)}`).join(' ')} /> : points.map((p, i) => <rect key={i} x={px(i) - barWidth / 2} y={py(p.value)} width={barWidth} height={H - PAD - py(p.value)} fill="#3b82f6"><title>{`${p.label}: ${p.value}`}</title></rect>)}
        {points.length > 0 ? <><text x={PAD} y={H - PAD + 16} fontSize={11} fill="currentColor">{points[0]!.label.slice(0, 19)}</text><text x={W - PAD} y={H - PAD + 16} fontSize={11} textAnchor="end" fill="currentColor">{points.at(-1)!.label.slice(0, 19)}</text></> : null}
      </svg>
      <p className="muted" role="status">{points.length} point(s) from {rows.length} row(s){updated ? `, updated ${updated}` : ''}; {live ? 'live (realtime)' : `polling every ${every} s`}.</p>
    </section>
  )
}

export default ChartsPage
