import { useState } from 'react'
import { get, post, StudioApiError } from '../api.ts'
import { Problem, problemOf, useLoaded } from './admin-common.tsx'

interface EnvVariable { name: string; required: boolean; set: boolean; inFile: boolean; secret: boolean; problem: string | null; usedBy: string[]; schema: Record<string, unknown> | null }
interface EnvState { file: string; variables: EnvVariable[] }

/** Not under `koyalite dev`: the editor's routes do not exist. */
async function loadEnv(): Promise<EnvState | null> {
  try {
    return await get<EnvState>('/admin/studio/env')
  } catch (error) {
    if (error instanceof StudioApiError && error.status === 404) return null
    throw error
  }
}

/**
 * `koyalite dev` only: the variables koyalite.ts declares, and a form that writes new values to
 * `.env`. The server checks each value with its env schema before writing; current values are
 * never shown (only whether each is set and in the file).
 */
export function EnvEditor() {
  const { data, problem, reload } = useLoaded(loadEnv, [])
  const [typed, setTyped] = useState<Record<string, string>>({})
  const [saved, setSaved] = useState('')
  const [refused, setRefused] = useState('')
  if (data === null || (data !== undefined && data.variables.length === 0)) return null
  const save = async (values: Record<string, string | null>) => {
    try {
      await post('/admin/studio/env', { values })
      setTyped({})
      setRefused('')
      setSaved(`Saved ${Object.keys(values).join(', ')} to ${data?.file ?? '.env'}; the dev server reloads with them.`)
    } catch (error) {
      setSaved('')
      setRefused(problemOf(error))
    }
    reload()
  }
  const changed = Object.fromEntries(Object.entries(typed).filter(([, value]) => value !== ''))
  return (
    <section aria-label="Environment editor">
      <h2 className="small">.env editor (koyalite dev)</h2>
      <Problem text={problem || refused} />
      {saved ? <p className="muted" role="status">{saved}</p> : null}
      <form onSubmit={(e) => { e.preventDefault(); if (Object.keys(changed).length > 0) void save(changed) }}>
        <div className="grid-wrap">
          <table className="grid" data-testid="env-editor">
            <thead><tr><th scope="col">Name</th><th scope="col">Now</th><th scope="col">New value</th><th scope="col">Schema</th><th scope="col"></th></tr></thead>
            <tbody>
              {(data?.variables ?? []).map((v) => (
                <tr key={v.name} data-env-edit={v.name}>
                  <td><code>{v.name}</code>{v.required ? <span className="muted"> (required)</span> : null}</td>
                  <td>{v.set ? 'set' : 'unset'}{v.inFile ? ', in .env' : ''}{v.problem ? <span className="error"> {v.problem}</span> : null}</td>
                  <td><input aria-label={`New value of ${v.name}`} type={v.secret ? 'password' : 'text'} autoComplete="off" value={typed[v.name] ?? ''} onChange={(e) => setTyped({ ...typed, [v.name]: e.target.value })} /></td>
                  <td className="muted"><code>{v.schema ? JSON.stringify(v.schema) : ''}</code></td>
                  <td>{v.inFile ? <button type="button" className="ghost" aria-label={`Remove ${v.name} from .env`} onClick={() => void save({ [v.name]: null })}>Remove</button> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <button type="submit" disabled={Object.keys(changed).length === 0}>Save to .env</button>
      </form>
    </section>
  )
}
