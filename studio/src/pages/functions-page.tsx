import { get } from '../api.ts'
import { Problem, useLoaded } from './admin-common.tsx'

interface FunctionSummary { name: string; file: string; auth: string; active: { number: number; version: string; deployedBy: string; deployedAt: string } | null }

/** The app's edge functions and their active versions (listed only for an app that declares functions). */
function FunctionsPage() {
  const { data, problem } = useLoaded(() => get<FunctionSummary[]>('/admin/functions'), [], 10_000)
  return (
    <section className="content" aria-label="Functions">
      <h1>Functions</h1>
      <Problem text={problem} />
      <div className="grid-wrap">
        <table className="grid" data-testid="functions">
          <thead><tr><th scope="col">Function</th><th scope="col">File</th><th scope="col">Auth</th><th scope="col">Active version</th><th scope="col">Deployed</th></tr></thead>
          <tbody>
            {(data ?? []).map((f) => (
              <tr key={f.name} data-function={f.name}>
                <td>{f.name}</td><td><code>{f.file}</code></td><td>{f.auth}</td>
                <td>{f.active ? `#${f.active.number} (${f.active.version})` : <span className="muted">not deployed</span>}</td>
                <td>{f.active ? `${f.active.deployedAt.slice(0, 19).replace('T', ' ')} by ${f.active.deployedBy}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export default FunctionsPage
