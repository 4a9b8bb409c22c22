import { useState } from 'react'
import { get } from '../api.ts'
import { ms, Problem, queryOf, useLoaded } from './admin-common.tsx'

interface CliCommandRun { id: number; at: string; command: string; args: string[]; user: string; exitCode: number; durationMs: number }

/** The `koyalite` commands run against this project's database (GET /admin/cli-history), newest first, secrets masked by the CLI. */
function CliHistoryPage() {
  const [command, setCommand] = useState('')
  const [typed, setTyped] = useState('')
  const { data, problem } = useLoaded(() => get<CliCommandRun[]>(`/admin/cli-history${queryOf({ command, limit: '200' })}`), [command])
  return (
    <section className="content" aria-label="CLI history">
      <h1>CLI history</h1>
      <form className="row" onSubmit={(e) => { e.preventDefault(); setCommand(typed.trim()) }}>
        <label>Command <input aria-label="CLI command" placeholder="backup, migrate…" value={typed} onChange={(e) => setTyped(e.target.value)} /></label>
        <button type="submit">Filter</button>
      </form>
      <Problem text={problem} />
      <div className="grid-wrap">
        <table className="grid" data-testid="cli-history">
          <thead><tr><th scope="col">Time</th><th scope="col">Command</th><th scope="col">Arguments</th><th scope="col">User</th><th scope="col">Exit</th><th scope="col">Took</th></tr></thead>
          <tbody>
            {(data ?? []).map((run) => (
              <tr key={run.id} data-command={run.command} data-exit={run.exitCode}>
                <td>{run.at.slice(0, 19).replace('T', ' ')}</td><td>{run.command}</td><td><code>{run.args.join(' ')}</code></td><td>{run.user}</td>
                <td className={run.exitCode === 0 ? '' : 'error'}>{run.exitCode}</td><td>{ms(run.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export default CliHistoryPage
