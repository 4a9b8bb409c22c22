import { useState } from 'react'
import { get, post } from '../api.ts'
import { Problem, queryOf, useAction, useLoaded } from './admin-common.tsx'

interface JobRun { id: number; kind: string; status: string; attempts: number; maxAttempts: number; createdAt: string; finishedAt: string | null; lastError: string | null }

const STATUSES = ['', 'pending', 'running', 'done', 'dead', 'cancelled']

/** Runs of the durable queue (jobs and emails), newest first, with retry and cancel. */
function JobsPage() {
  const [status, setStatus] = useState('')
  const [name, setName] = useState('')
  const { data, problem, reload } = useLoaded(() => get<JobRun[]>(`/admin/jobs/runs${queryOf({ status, name, limit: '100' })}`), [status, name], 5000)
  const { act: run, problem: actionProblem } = useAction(reload)
  const act = (url: string) => run(url, () => post(url))
  return (
    <section className="content" aria-label="Jobs">
      <h1>Jobs</h1>
      <div className="row">
        <label>Status <select aria-label="Run status" value={status} onChange={(e) => setStatus(e.target.value)}>{STATUSES.map((s) => <option key={s} value={s}>{s || 'any'}</option>)}</select></label>
        <label>Job <input aria-label="Job name" placeholder="name, or email" value={name} onChange={(e) => setName(e.target.value)} /></label>
      </div>
      <Problem text={problem || actionProblem} />
      <div className="grid-wrap">
        <table className="grid" data-testid="runs">
          <thead><tr><th scope="col">Run</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col">Finished</th><th scope="col">Last error</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {(data ?? []).map((run) => (
              <tr key={run.id} data-run={run.id}>
                <td>{run.id}</td><td>{run.kind}</td><td>{run.status}</td><td>{run.attempts}/{run.maxAttempts}</td>
                <td>{run.createdAt.replace('T', ' ').slice(0, 19)}</td><td>{run.finishedAt?.replace('T', ' ').slice(0, 19) ?? ''}</td><td>{run.lastError ?? ''}</td>
                <td>
                  {run.status === 'dead' || run.status === 'done' || run.status === 'cancelled' ? <button type="button" className="ghost" onClick={() => void act(`/admin/jobs/runs/${run.id}/retry`)}>Retry</button> : null}
                  {run.status === 'pending' || run.status === 'running' ? <button type="button" className="ghost" onClick={() => void act(`/admin/jobs/runs/${run.id}/cancel`)}>Cancel</button> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export default JobsPage
