import { useEffect, useState } from 'react'
import { get, post, StudioApiError, type Meta } from '../api.ts'
import { type PageProps } from '../registry.ts'

type Role = 'read' | 'create' | 'update' | 'updateCheck' | 'delete'
interface SimulatedPolicy { role: Role; source: string | null; at: string | null; sql: string | null; parameters: unknown[] }
interface SimulatedRow { id: string; allowed: boolean; verdicts: Partial<Record<Role, boolean>>; row: Record<string, unknown>; receives?: boolean }
interface Simulation { table: string; operation: string; actor: { userId: string | null; roles: string[] }; policies: SimulatedPolicy[]; rows: SimulatedRow[]; next: string | null; subscription?: { filter: string } }

const OPERATIONS = ['read', 'update', 'delete', 'create'] as const
const ANONYMOUS = ''
/** The Table select's value for a bucket: its objects are judged by its access rules. */
const BUCKET = 'bucket:'

/** A short label for a row: its first text column besides the id. */
function labelOf(meta: Meta, table: string, row: Record<string, unknown>): string {
  if (table === '_koya_objects') return `${String(row.bucket)}/${String(row.name)}`
  const columns = meta.tables.find((t) => t.name === table)?.columns ?? []
  const text = columns.find((c) => c.name !== 'id' && (c.type === 'text' || c.type === 'email') && typeof row[c.name] === 'string')
  return text ? String(row[text.name]) : ''
}

function PolicySimulator({ meta, search }: PageProps) {
  const users = meta.tables.find((t) => t.isUsers)
  const [table, setTable] = useState(search.get('table') ?? meta.tables[0]?.name ?? '')
  const [operation, setOperation] = useState<(typeof OPERATIONS)[number]>('read')
  const [people, setPeople] = useState<{ id: string; email: string }[]>([])
  const [userId, setUserId] = useState(ANONYMOUS)
  const [ownRoles, setOwnRoles] = useState(true)
  const [roles, setRoles] = useState<string[]>([])
  // A realtime subscription to simulate with the read: its filter in the REST grammar.
  const [filter, setFilter] = useState('')
  const [result, setResult] = useState<Simulation | null>(null)
  const [pages, setPages] = useState<string[]>([])
  const [problem, setProblem] = useState('')
  useEffect(() => {
    if (users) void get<{ id: string; email: string }[]>(`/api/${users.name}?select=id,email&order=email&limit=200`).then(setPeople, () => {})
  }, [users])
  const run = async (after?: string) => {
    try {
      const bucket = table.startsWith(BUCKET)
      const target = bucket ? { bucket: table.slice(BUCKET.length) } : { table }
      const subscription = !bucket && operation === 'read' ? { subscription: { filter: filter.trim() } } : {}
      const body = { ...target, operation, userId: userId === ANONYMOUS ? null : userId, ...(ownRoles || userId === ANONYMOUS ? {} : { roles }), ...subscription, ...(after ? { after } : {}) }
      setResult(await post<Simulation>('/admin/studio/simulate', body))
      setProblem('')
    } catch (error) {
      setResult(null)
      setProblem(error instanceof StudioApiError ? `${error.code}: ${error.message}` : String(error))
    }
  }
  const allowed = result?.rows.filter((r) => r.allowed).length ?? 0
  return (
    <section className="content" aria-label="Policy simulator">
      <h1>Policy simulator</h1>
      <p className="muted">Which rows of a table (or files of a storage bucket) may a user read, update or delete, and so which changes reach their realtime subscriptions? Each row is judged by SQLite with the predicates the server compiled from your policies; nothing is written and nobody is impersonated.</p>
      <form className="row wrap" aria-label="Simulation" onSubmit={(e) => { e.preventDefault(); setPages([]); void run() }}>
        <label>Table <select aria-label="Table" value={table} onChange={(e) => setTable(e.target.value)}>
          {meta.tables.map((t) => <option key={t.name}>{t.name}</option>)}
          {(meta.buckets ?? []).length > 0 ? <optgroup label="Storage buckets">{meta.buckets!.map((b) => <option key={b} value={`${BUCKET}${b}`}>{b} (files)</option>)}</optgroup> : null}
        </select></label>
        <label>Operation <select aria-label="Operation" value={operation} onChange={(e) => setOperation(e.target.value as (typeof OPERATIONS)[number])}>{OPERATIONS.map((o) => <option key={o}>{o}</option>)}</select></label>
        <label>As <select aria-label="As user" value={userId} onChange={(e) => setUserId(e.target.value)}>
          <option value={ANONYMOUS}>anonymous (signed out)</option>
          {people.map((p) => <option key={p.id} value={p.id}>{p.email}</option>)}
        </select></label>
        {userId !== ANONYMOUS ? (
          <fieldset aria-label="Roles">
            <label className="check"><input type="checkbox" checked={ownRoles} onChange={(e) => setOwnRoles(e.target.checked)} />their granted roles</label>
            {ownRoles ? null : meta.roles.map((role) => (
              <label className="check" key={role}><input type="checkbox" checked={roles.includes(role)} onChange={(e) => setRoles(e.target.checked ? [...roles, role] : roles.filter((r) => r !== role))} />{role}</label>
            ))}
          </fieldset>
        ) : null}
        {operation === 'read' && !table.startsWith(BUCKET) ? (
          <label>Subscription filter <input aria-label="Subscription filter" placeholder="status=eq.todo (realtime, optional)" value={filter} onChange={(e) => setFilter(e.target.value)} size={24} /></label>
        ) : null}
        <button type="submit">Simulate</button>
      </form>
      {problem ? <p className="error" role="alert">{problem}</p> : null}
      {result ? (
        <>
          <div className="policies" aria-label="Compiled policies">
            {result.policies.map((p) => (
              <div className="card" key={p.role} data-testid={`policy-${p.role}`}>
                <h3>{p.role} {p.at ? <span className="muted">({p.at})</span> : null}</h3>
                {p.sql === null ? <p className="error">No {p.role} rule: denied to everyone but the service key.</p> : (
                  <>
                    {p.source ? <pre className="result">{p.source}</pre> : null}
                    <pre className="result" aria-label={`SQL of ${p.role}`}>{p.sql}</pre>
                    {p.parameters.length > 0 ? <p className="muted">Parameters: {p.parameters.map((v) => JSON.stringify(v)).join(', ')}</p> : null}
                  </>
                )}
              </div>
            ))}
          </div>
          <p data-testid="simulation-summary">{allowed} of {result.rows.length} {result.table === '_koya_objects' ? 'file(s)' : 'row(s)'} on this page allowed to {result.actor.userId === null ? 'an anonymous caller' : `${people.find((p) => p.id === result.actor.userId)?.email ?? result.actor.userId} (roles: ${result.actor.roles.join(', ') || 'none'})`}.</p>
          {result.operation === 'read' && result.table !== '_koya_objects' ? (
            <p className="muted" data-testid="realtime-note">Realtime: this user's subscription to {result.table}{result.subscription?.filter ? <> filtered by <code>{result.subscription.filter}</code></> : null} receives the changes of the rows marked <em>receives</em> (its view: their read policy and the filter, read again after each change) and nothing of the others; a row that moves out of their view arrives as a <code>leave</code> event.</p>
          ) : null}
          <div className="grid-wrap">
            <table className="grid" aria-label={`Verdicts on ${result.table}`}>
              <thead><tr><th scope="col">id</th><th scope="col">row</th>{result.policies.map((p) => <th key={p.role} scope="col">{p.role}</th>)}<th scope="col">{result.operation}</th>{result.subscription ? <th scope="col">realtime</th> : null}</tr></thead>
              <tbody>{result.rows.map((r) => (
                <tr key={r.id} className={r.allowed ? 'allowed' : 'denied'}>
                  <td>{r.id}</td>
                  <td>{labelOf(meta, result.table, r.row)}</td>
                  {result.policies.map((p) => <td key={p.role}>{r.verdicts[p.role] ? 'pass' : 'fail'}</td>)}
                  <td><strong>{r.allowed ? 'allow' : 'deny'}</strong></td>
                  {result.subscription ? <td>{r.receives ? 'receives' : '—'}</td> : null}
                </tr>
              ))}</tbody>
            </table>
          </div>
          <div className="row">
            <button type="button" className="ghost" disabled={pages.length === 0} onClick={() => { const back = pages.slice(0, -1); setPages(back); void run(back[back.length - 1]) }}>Previous</button>
            <button type="button" className="ghost" disabled={result.next === null} onClick={() => { setPages([...pages, result.next!]); void run(result.next!) }}>Next</button>
          </div>
        </>
      ) : null}
    </section>
  )
}

export default PolicySimulator
