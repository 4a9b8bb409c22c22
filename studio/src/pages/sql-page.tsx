import { useState, type KeyboardEvent } from 'react'
import { post, StudioApiError } from '../api.ts'
import { type PageProps } from '../registry.ts'

interface SqlResult { columns: string[]; rows: unknown[][]; truncated: boolean; changes: number | null; ms: number }

const HISTORY_KEY = 'koya-studio-sql-history'
const history = (): string[] => JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as string[]

function SqlPage({ dev }: PageProps) {
  const [sql, setSql] = useState('SELECT name FROM sqlite_schema WHERE type = \'table\' ORDER BY name')
  const [write, setWrite] = useState(false)
  const [result, setResult] = useState<SqlResult | null>(null)
  const [problem, setProblem] = useState('')
  const [past, setPast] = useState<string[]>(history)
  const run = async () => {
    if (write && !confirm('Run this statement in write mode? It changes the database, outside the API and its policies, and is audited.')) return
    const next = [sql, ...past.filter((s) => s !== sql)].slice(0, 50)
    localStorage.setItem(HISTORY_KEY, JSON.stringify(next))
    setPast(next)
    try {
      setResult(await post<SqlResult>('/admin/sql', write ? { sql, write: true, confirm: true } : { sql }))
      setProblem('')
    } catch (error) {
      setResult(null)
      setProblem(error instanceof StudioApiError ? `${error.code}: ${error.message}` : String(error))
    }
  }
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      void run()
    }
  }
  return (
    <section className="content" aria-label="SQL console">
      <h1>SQL console</h1>
      <p className="muted">One statement, on a read-only connection, at most 1000 rows and 5 s. Ctrl+Enter runs it.</p>
      <textarea aria-label="SQL" className="sql" rows={6} value={sql} onChange={(e) => setSql(e.target.value)} onKeyDown={onKey} />
      <div className="row">
        <button type="button" onClick={() => void run()}>Run</button>
        <label className="check"><input type="checkbox" checked={write} onChange={(e) => setWrite(e.target.checked)} />Write mode (only under koyalite dev{dev ? '' : ', refused here'}; audited)</label>
        <span className="spacer" />
        <label>History <select aria-label="History" value="" onChange={(e) => { if (e.target.value) setSql(e.target.value) }}><option value="">—</option>{past.map((s, i) => <option key={i} value={s}>{s.slice(0, 80)}</option>)}</select></label>
      </div>
      {problem ? <p className="error" role="alert" data-testid="sql-error">{problem}</p> : null}
      {result ? (
        <div className="grid-wrap" data-testid="sql-result">
          <p className="muted">{result.changes !== null ? `${result.changes} row(s) changed` : `${result.rows.length} row(s)${result.truncated ? ' (cut at the limit)' : ''}`} in {result.ms.toFixed(1)} ms</p>
          <table className="grid">
            <thead><tr>{result.columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
            <tbody>{result.rows.map((row, i) => <tr key={i}>{row.map((v, j) => <td key={j}>{v === null ? <span className="null">null</span> : String(v)}</td>)}</tr>)}</tbody>
          </table>
        </div>
      ) : null}
    </section>
  )
}

export default SqlPage
