import { useEffect, useState } from 'react'
import { get } from '../api.ts'
import { bytes, ms, Problem, useLoaded } from './admin-common.tsx'

interface ApiMonitor {
  since: string
  routes: { method: string; route: string; requests: number; perMinute: number; errorRate: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null }[]
  recent: { at: string; requestId: string; method: string; url: string; route: string; status: number; durationMs: number; userId: string | null; traceId?: string }[]
  /** KOYA_TRACE_URL: the trace viewer, `{traceId}` where the id goes. */
  traceUrl: string | null
}
interface Performance {
  eventLoop: { meanMs: number; p99Ms: number }
  memory: { rss: number; heapUsed: number }
  cpu: { shareOfOneCore: number }
  sqlite: { fileBytes: number; walBytes: number; pageSize: number; pageCount: number; freePages: number; cacheSize: number; walAutocheckpoint: number; journalMode: string }
  statements: { count: number; slowest: { sql: string; count: number; meanMs: number; maxMs: number }[] }
}

/** One reading of the figures the charts draw. */
interface Sample { lagMs: number; rssBytes: number; cpuShare: number; perMinute: number }
const KEPT_SAMPLES = 120 // 10 minutes at one reading every 5 s

/** A line of the last readings, scaled to its own maximum. */
function Sparkline({ label, values, format }: { label: string; values: readonly number[]; format: (v: number) => string }) {
  const max = Math.max(...values, Number.MIN_VALUE)
  const width = 240
  const height = 40
  const step = values.length > 1 ? width / (values.length - 1) : width
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`).join(' ')
  return (
    <figure className="card" data-chart={label} data-points={values.length}>
      <figcaption className="small">{label}: {values.length > 0 ? format(values[values.length - 1]!) : '—'} <span className="muted">(max {format(max === Number.MIN_VALUE ? 0 : max)})</span></figcaption>
      <svg width={width} height={height} role="img" aria-label={`${label} over the last readings`}><polyline fill="none" stroke="currentColor" strokeWidth="1.5" points={points} /></svg>
    </figure>
  )
}

/** The API monitor and the server's performance, refreshed every 5 s, with charts of the readings since the page opened. */
function MonitorPage() {
  const monitor = useLoaded(() => get<ApiMonitor>('/admin/monitor?limit=50'), [], 5000)
  const perf = useLoaded(() => get<Performance>('/admin/performance'), [], 5000)
  const p = perf.data
  const [samples, setSamples] = useState<Sample[]>([])
  useEffect(() => {
    if (p === undefined) return
    const perMinute = (monitor.data?.routes ?? []).reduce((sum, r) => sum + r.perMinute, 0)
    setSamples((kept) => [...kept.slice(-(KEPT_SAMPLES - 1)), { lagMs: p.eventLoop.meanMs, rssBytes: p.memory.rss, cpuShare: p.cpu.shareOfOneCore, perMinute }])
    // One sample per performance reading.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p])
  const traced = (monitor.data?.recent ?? []).some((r) => r.traceId !== undefined)
  const traceUrl = monitor.data?.traceUrl ?? null
  return (
    <section className="content" aria-label="Monitor">
      <h1>Monitor</h1>
      <Problem text={monitor.problem || perf.problem} />
      {p ? (
        <p className="row wrap" data-testid="performance">
          <span>Event loop {ms(p.eventLoop.meanMs)} (p99 {ms(p.eventLoop.p99Ms)})</span>
          <span>RSS {bytes(p.memory.rss)}, heap {bytes(p.memory.heapUsed)}</span>
          <span>CPU {(p.cpu.shareOfOneCore * 100).toFixed(0)} % of a core</span>
          <span>SQLite {bytes(p.sqlite.fileBytes)}, WAL {bytes(p.sqlite.walBytes)} ({p.sqlite.journalMode}, checkpoint every {p.sqlite.walAutocheckpoint} pages)</span>
          <span data-testid="sqlite-pages">{p.sqlite.pageCount} pages of {p.sqlite.pageSize} B, {p.sqlite.freePages} free; cache {p.sqlite.cacheSize < 0 ? `${-p.sqlite.cacheSize} KiB` : `${p.sqlite.cacheSize} pages`}</span>
          <span>{p.statements.count} statements</span>
        </p>
      ) : null}
      {samples.length > 0 ? (
        <div className="row wrap" data-testid="charts">
          <Sparkline label="Requests per minute" values={samples.map((x) => x.perMinute)} format={(v) => v.toFixed(1)} />
          <Sparkline label="Event-loop lag" values={samples.map((x) => x.lagMs)} format={(v) => ms(v)} />
          <Sparkline label="CPU" values={samples.map((x) => x.cpuShare * 100)} format={(v) => `${v.toFixed(0)} %`} />
          <Sparkline label="RSS" values={samples.map((x) => x.rssBytes)} format={bytes} />
        </div>
      ) : null}
      <h2 className="small">Routes, last hour</h2>
      <div className="grid-wrap">
        <table className="grid" data-testid="routes">
          <thead><tr><th scope="col">Route</th><th scope="col">Requests</th><th scope="col">Per minute</th><th scope="col">Errors</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">p99</th></tr></thead>
          <tbody>
            {(monitor.data?.routes ?? []).map((r) => (
              <tr key={`${r.method} ${r.route}`} data-route={`${r.method} ${r.route}`}>
                <td>{r.method} {r.route}</td><td>{r.requests}</td><td>{r.perMinute.toFixed(1)}</td><td>{(r.errorRate * 100).toFixed(1)} %</td><td>{ms(r.p50Ms)}</td><td>{ms(r.p95Ms)}</td><td>{ms(r.p99Ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 className="small">Recent requests</h2>
      <div className="grid-wrap">
        <table className="grid" data-testid="recent">
          <thead><tr><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Time taken</th><th scope="col">Request id</th>{traced ? <th scope="col">Trace</th> : null}</tr></thead>
          <tbody>
            {(monitor.data?.recent ?? []).map((r) => (
              <tr key={r.requestId + r.at}>
                <td>{r.at.slice(11, 19)}</td><td>{r.method} {r.url}</td><td>{r.status}</td><td>{ms(r.durationMs)}</td>
                <td><a href={`/_/logs?text=${encodeURIComponent(r.requestId)}`}>{r.requestId}</a></td>
                {traced ? <td data-testid="trace">{r.traceId === undefined ? '' : traceUrl === null ? <code>{r.traceId}</code> : <a href={traceUrl.replaceAll('{traceId}', r.traceId)} target="_blank" rel="noreferrer">{r.traceId.slice(0, 12)}…</a>}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {p && p.statements.slowest.length > 0 ? (
        <>
          <h2 className="small">Slowest statement shapes</h2>
          <ul className="list">{p.statements.slowest.slice(0, 10).map((s) => <li key={s.sql}><code>{s.sql.slice(0, 160)}</code> <span className="muted">×{s.count}, mean {ms(s.meanMs)}, max {ms(s.maxMs)}</span></li>)}</ul>
        </>
      ) : null}
    </section>
  )
}

export default MonitorPage
