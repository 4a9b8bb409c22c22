import { get } from '../api.ts'
import { Problem, useLoaded } from './admin-common.tsx'
import { EnvEditor } from './env-editor.tsx'

interface EffectiveConfig {
  app: string
  environment: string
  config: Record<string, unknown>
  env: { name: string; set: boolean; secret: boolean; usedBy: string }[]
  roles: string[]
  access: { table: string; operation: 'read' | 'create' | 'update' | 'delete'; policy: string | null }[]
}

const OPERATIONS = ['read', 'create', 'update', 'delete'] as const

/**
 * The configuration the server runs (GET /admin/config): koyalite.ts resolved, the environment
 * variables it reads and whether each is set (the API never sends a value), the roles and the
 * access matrix.
 */
function ConfigPage() {
  const { data, problem } = useLoaded(() => get<EffectiveConfig>('/admin/config'), [])
  const tables = [...new Set((data?.access ?? []).map((a) => a.table))]
  const policyOf = (table: string, operation: string) => data?.access.find((a) => a.table === table && a.operation === operation)?.policy ?? null
  return (
    <section className="content" aria-label="Configuration">
      <h1>Configuration</h1>
      <Problem text={problem} />
      {data ? <p className="muted" data-testid="app">{data.app}, {data.environment}; roles: {data.roles.join(', ') || 'none'}</p> : null}
      <h2 className="small">Environment variables</h2>
      <div className="grid-wrap">
        <table className="grid" data-testid="env">
          <thead><tr><th scope="col">Name</th><th scope="col">Set</th><th scope="col">Read by</th></tr></thead>
          <tbody>
            {(data?.env ?? []).map((e) => (
              <tr key={e.name} data-env={e.name} data-set={e.set ? 'yes' : 'no'}>
                <td><code>{e.name}</code>{e.secret ? <span className="muted"> (secret)</span> : null}</td><td>{e.set ? 'set' : <span className="muted">unset</span>}</td><td className="muted">{e.usedBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <EnvEditor />
      <h2 className="small">Access matrix</h2>
      <div className="grid-wrap">
        <table className="grid" data-testid="access">
          <thead><tr><th scope="col">Table</th>{OPERATIONS.map((op) => <th key={op} scope="col">{op}</th>)}</tr></thead>
          <tbody>
            {tables.map((table) => (
              <tr key={table} data-table={table}>
                <td>{table}</td>
                {OPERATIONS.map((op) => {
                  const policy = policyOf(table, op)
                  return <td key={op}>{policy === null ? <span className="muted">system only</span> : <code>{policy}</code>}</td>
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 className="small">koyalite.ts, resolved</h2>
      <pre className="result" data-testid="config">{data ? JSON.stringify(data.config, null, 2) : ''}</pre>
    </section>
  )
}

export default ConfigPage
