import { useState } from 'react'
import { get } from '../api.ts'
import { Problem, queryOf, useLoaded } from './admin-common.tsx'

interface AuditEntry { id: string; at: string; actorId: string | null; subjectId: string | null; action: string; reason: string | null; requestId: string | null; detail: Record<string, unknown> | null }

// Security events are marked (the server's list is admin-views.ts SECURITY_ACTIONS).
const SECURITY = /^(impersonation\.|role\.|sessions?\.revoke$|login\.|user\.(delete|password-reset)$)/

function AuditPage() {
  const [typed, setTyped] = useState({ actor: '', subject: '', action: '', from: '', to: '' })
  const [filter, setFilter] = useState(typed)
  const { data, problem } = useLoaded(() => get<AuditEntry[]>(`/admin/audit${queryOf({ ...filter, limit: '200' })}`), [filter])
  const field = (name: keyof typeof typed, label: string, placeholder: string) => (
    <label>{label} <input aria-label={`Audit ${label}`} placeholder={placeholder} value={typed[name]} onChange={(e) => setTyped({ ...typed, [name]: e.target.value })} /></label>
  )
  return (
    <section className="content" aria-label="Audit log">
      <h1>Audit log</h1>
      <form className="row wrap" onSubmit={(e) => { e.preventDefault(); setFilter(typed) }}>
        {field('actor', 'Actor', 'user id')}
        {field('subject', 'Target', 'user id')}
        {field('action', 'Action', 'role.grant')}
        {field('from', 'From', '2026-12-01T00:00:00Z')}
        {field('to', 'To', 'ISO time')}
        <button type="submit">Filter</button>
        <a href={`/admin/audit/export${queryOf(filter)}`} download="audit.csv">Export CSV</a>
      </form>
      <Problem text={problem} />
      <div className="grid-wrap">
        <table className="grid" data-testid="audit">
          <thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Reason</th><th scope="col">Detail</th></tr></thead>
          <tbody>
            {(data ?? []).map((entry) => (
              <tr key={entry.id} data-action={entry.action} data-security={SECURITY.test(entry.action) ? 'yes' : 'no'}>
                <td>{entry.at.replace('T', ' ').slice(0, 19)}</td>
                <td>{SECURITY.test(entry.action) ? <strong title="Security event">⚠ {entry.action}</strong> : entry.action}</td>
                <td>{entry.actorId ?? 'service key'}</td>
                <td>{entry.subjectId ?? ''}</td>
                <td>{entry.reason ?? ''}</td>
                <td><code>{entry.detail === null ? '' : JSON.stringify(entry.detail)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export default AuditPage
