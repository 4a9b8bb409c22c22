import { useState } from 'react'
import { get, post } from '../api.ts'
import { ms, Problem, queryOf, useAction, useLoaded } from './admin-common.tsx'

interface WebhookDelivery { id: number; jobId: number; webhook: string; messageId: string; eventType: string; attempt: number; status: number | null; ok: boolean; latencyMs: number; response: string | null; error: string | null; at?: string; createdAt?: string }

/** The webhooks' delivery log (listed only for an app that declares webhooks), with replay. */
function WebhooksPage() {
  const [ok, setOk] = useState('')
  const { data, problem, reload } = useLoaded(() => get<WebhookDelivery[]>(`/admin/webhooks/deliveries${queryOf({ ok, limit: '100' })}`), [ok], 5000)
  const { act, done, problem: actionProblem } = useAction(reload)
  return (
    <section className="content" aria-label="Webhooks">
      <h1>Webhook deliveries</h1>
      <label>Outcome <select aria-label="Delivery outcome" value={ok} onChange={(e) => setOk(e.target.value)}><option value="">any</option><option value="true">delivered</option><option value="false">failed</option></select></label>
      <Problem text={problem || actionProblem} />
      {done ? <p className="muted" role="status">{done}</p> : null}
      <div className="grid-wrap">
        <table className="grid" data-testid="deliveries">
          <thead><tr><th scope="col">Webhook</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Error</th><th scope="col"></th></tr></thead>
          <tbody>
            {(data ?? []).map((d) => (
              <tr key={d.id} data-delivery={d.id} data-ok={d.ok ? 'yes' : 'no'}>
                <td>{d.webhook}</td><td>{d.eventType}</td><td>{d.attempt}</td><td className={d.ok ? '' : 'error'}>{d.status ?? 'no answer'}</td><td>{ms(d.latencyMs)}</td><td>{d.error ?? ''}</td>
                <td><button type="button" className="ghost" onClick={() => void act(`Replaying delivery ${d.id}`, () => post(`/admin/webhooks/deliveries/${d.id}/replay`))}>Replay</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export default WebhooksPage
