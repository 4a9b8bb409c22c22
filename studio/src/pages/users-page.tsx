import { useState } from 'react'
import { get, post, request } from '../api.ts'
import { BASE, navigate, type PageProps } from '../registry.ts'
import { handOverImpersonation } from '../view-as.tsx'
import { Problem, queryOf, useAction, useLoaded } from './admin-common.tsx'

interface AdminSession { id: string; createdAt: string; expiresAt: string; impersonatorId: string | null; reason: string | null }
interface AdminUser { id: string; email: string; emailVerified: boolean; roles: string[]; sessions: AdminSession[] }

function UsersPage({ meta }: PageProps) {
  const [q, setQ] = useState('')
  const [typed, setTyped] = useState('')
  const { data, problem, reload } = useLoaded(() => get<{ users: AdminUser[] }>(`/admin/users${queryOf({ q, limit: '50' })}`), [q])
  const { act, done, problem: actionProblem } = useAction(reload)
  // The user whose impersonation form is open (a reason is required, and audited).
  const [impersonating, setImpersonating] = useState<string | null>(null)
  // Delete offers the user's export first (GDPR: they may have asked for it).
  const [deleting, setDeleting] = useState<string | null>(null)
  const [exported, setExported] = useState<string | null>(null)
  const impersonate = async (user: AdminUser, reason: string) => {
    const answer = await post<{ session: { token: string } }>('/auth/impersonate', { userId: user.id, reason })
    handOverImpersonation(user.email, answer.session.token)
    navigate(`${BASE}data`)
  }
  return (
    <section className="content" aria-label="Users">
      <h1>Users</h1>
      <form className="row" onSubmit={(e) => { e.preventDefault(); setQ(typed) }}>
        <label>Search <input aria-label="Search users" placeholder="email or id" value={typed} onChange={(e) => setTyped(e.target.value)} /></label>
        <button type="submit">Search</button>
      </form>
      <Problem text={problem || actionProblem} />
      {done ? <p className="muted" role="status">{done}</p> : null}
      <div className="grid-wrap">
        <table className="grid" data-testid="users">
          <thead><tr><th scope="col">Email</th><th scope="col">Verified</th><th scope="col">Roles</th><th scope="col">Sessions</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {(data?.users ?? []).map((user) => (
              <tr key={user.id} data-user={user.email}>
                <td>{user.email}<br /><span className="muted">{user.id}</span></td>
                <td>{user.emailVerified ? 'yes' : <button type="button" className="ghost" onClick={() => void act(`Verified ${user.email}`, () => post(`/admin/users/${user.id}/verify-email`))}>Verify</button>}</td>
                <td>
                  {user.roles.map((role) => (
                    <button key={role} type="button" className="ghost" aria-label={`Revoke ${role} from ${user.email}`} onClick={() => void act(`Revoked ${role}`, () => request('DELETE', `/admin/users/${user.id}/roles/${role}`))}>{role} ×</button>
                  ))}
                  <select aria-label={`Grant a role to ${user.email}`} value="" onChange={(e) => { const role = e.target.value; if (role) void act(`Granted ${role}`, () => post(`/admin/users/${user.id}/roles`, { role })) }}>
                    <option value="">+ role</option>
                    {meta.roles.filter((r) => !user.roles.includes(r)).map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                </td>
                <td>
                  <ul className="list">
                    {user.sessions.map((s) => (
                      <li key={s.id}>
                        <span className="muted">{s.createdAt.slice(0, 16).replace('T', ' ')}{s.impersonatorId ? ` (impersonated: ${s.reason ?? ''})` : ''}</span>{' '}
                        <button type="button" className="ghost" aria-label={`End session ${s.id.slice(0, 8)}`} onClick={() => void act('Session ended', () => request('DELETE', `/admin/users/${user.id}/sessions/${s.id}`))}>End</button>
                      </li>
                    ))}
                  </ul>
                  {user.sessions.length > 0 ? <button type="button" className="ghost" onClick={() => void act(`Signed ${user.email} out everywhere`, () => request('DELETE', `/admin/users/${user.id}/sessions`))}>Sign out everywhere</button> : <span className="muted">none</span>}
                </td>
                <td className="row wrap">
                  <button type="button" className="ghost" onClick={() => void act(`Reset email sent to ${user.email}`, () => post(`/admin/users/${user.id}/password-reset`))}>Send reset</button>
                  <button type="button" className="ghost" onClick={() => void act('Export downloaded', () => downloadExport(user))}>Export</button>
                  {impersonating === user.id ? (
                    <form className="row" aria-label={`Impersonate ${user.email}`} onSubmit={(e) => { e.preventDefault(); const reason = String(new FormData(e.currentTarget).get('reason')); void act(`Impersonating ${user.email}`, () => impersonate(user, reason)) }}>
                      <input name="reason" required aria-label={`Reason for impersonating ${user.email}`} placeholder="Reason (audited)" />
                      <button type="submit">Start</button>
                      <button type="button" className="ghost" onClick={() => setImpersonating(null)}>Cancel</button>
                    </form>
                  ) : (
                    <button type="button" className="ghost" onClick={() => setImpersonating(user.id)}>Impersonate…</button>
                  )}
                  {deleting === user.id ? (
                    <div className="row wrap card" role="group" aria-label={`Delete ${user.email}`}>
                      <span>Erase {user.email} and their data? Their export first:</span>
                      <button type="button" onClick={() => void act('Export downloaded', async () => { await downloadExport(user); setExported(user.id) })}>Download export</button>
                      <button type="button" className="danger" onClick={() => void act(`Erased ${user.email}`, () => request('DELETE', `/admin/users/${user.id}`)).then(() => setDeleting(null))}>{exported === user.id ? 'Erase' : 'Erase without export'}</button>
                      <button type="button" className="ghost" onClick={() => setDeleting(null)}>Cancel</button>
                    </div>
                  ) : (
                    <button type="button" className="danger" onClick={() => setDeleting(user.id)}>Delete…</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

async function downloadExport(user: AdminUser): Promise<void> {
  const archive = await post<unknown>(`/admin/users/${user.id}/export`)
  const link = document.createElement('a')
  link.href = URL.createObjectURL(new Blob([JSON.stringify(archive, null, 2)], { type: 'application/json' }))
  link.download = `export-${user.id}.json`
  link.click()
  URL.revokeObjectURL(link.href)
}

export default UsersPage
