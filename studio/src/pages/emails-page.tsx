import { useState } from 'react'
import { get } from '../api.ts'
import { Problem, queryOf, useLoaded } from './admin-common.tsx'

interface CaughtEmail { id: number; jobId: number | null; tag: string | null; from: string | null; to: string[]; subject: string; html: string | null; text: string | null; createdAt: string }

/** The emails the mail catcher kept (no email API key configured), newest first; each opens its text. */
function EmailsPage() {
  const [to, setTo] = useState('')
  const { data, problem } = useLoaded(() => get<CaughtEmail[]>(`/admin/emails${queryOf({ to, limit: '100' })}`), [to], 5000)
  const [open, setOpen] = useState<number | null>(null)
  return (
    <section className="content" aria-label="Emails">
      <h1>Emails</h1>
      <label>To <input aria-label="Emails to" placeholder="address" value={to} onChange={(e) => setTo(e.target.value.trim())} /></label>
      <Problem text={problem} />
      <div className="grid-wrap">
        <table className="grid" data-testid="emails">
          <thead><tr><th scope="col">Time</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Kind</th><th scope="col">Run</th></tr></thead>
          <tbody>
            {(data ?? []).map((email) => (
              <tr key={email.id} data-email-to={email.to.join(',')}>
                <td>{email.createdAt.slice(0, 19).replace('T', ' ')}</td><td>{email.to.join(', ')}</td>
                <td><button type="button" className="ghost" aria-expanded={open === email.id} onClick={() => setOpen(open === email.id ? null : email.id)}>{email.subject}</button>{open === email.id ? <pre className="result">{email.text ?? ''}</pre> : null}</td>
                <td>{email.tag ?? ''}</td><td>{email.jobId ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export default EmailsPage
