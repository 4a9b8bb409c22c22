import { useEffect, useState, type FormEvent } from 'react'
import { get, post, StudioApiError, type Meta } from '../api.ts'
import { type PageProps } from '../registry.ts'

interface EditResult { files: { path: string; diff: string }[]; migration: { name: string; sql: string } | null }
type Operation = 'read' | 'create' | 'update' | 'delete'
const OPERATIONS: Operation[] = ['read', 'create', 'update', 'delete']

/** The rule's source as written (update: its `using`, or the object of both when they differ). */
function sourceOf(meta: Meta, table: string, operation: Operation): string {
  const policies = meta.tables.find((t) => t.name === table)?.policies
  if (!policies) return ''
  if (operation !== 'update') return policies[operation]?.source ?? ''
  const update = policies.update
  if (!update) return ''
  return update.using.source === update.check.source ? update.using.source : `{\n  using: ${update.using.source},\n  check: ${update.check.source},\n}`
}

/** Where the rule is written (`policies/tasks.ts:7:13`), or '' when there is none. */
function locationOf(meta: Meta, table: string, operation: Operation): string {
  const policies = meta.tables.find((t) => t.name === table)?.policies
  const policy = operation === 'update' ? policies?.update?.using : policies?.[operation]
  return policy?.at ? `${policy.at.file}:${policy.at.line}:${policy.at.column}` : ''
}

/** Columns typed as `name:type` or `name:type?` (optional), separated by commas. */
function parseColumns(text: string): { name: string; type: string; optional: boolean }[] {
  return text.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) => {
    const [name = '', type = 'text'] = part.split(':').map((s) => s.trim())
    return { name, type: type.replace(/\?$/, ''), optional: type.endsWith('?') }
  })
}

/** `projectId, status` → ['projectId', 'status']. */
const splitColumns = (value: FormDataEntryValue | null): string[] => String(value ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '')

function SchemaPage({ meta }: PageProps) {
  const [available, setAvailable] = useState<{ columnTypes: string[] } | null | undefined>(undefined)
  const [table, setTable] = useState(meta.tables[0]?.name ?? '')
  const [operation, setOperation] = useState<Operation>('read')
  const [policy, setPolicy] = useState(() => sourceOf(meta, meta.tables[0]?.name ?? '', 'read'))
  const [result, setResult] = useState<EditResult | null>(null)
  const [problem, setProblem] = useState('')
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    void get<{ available: boolean; columnTypes: string[] }>('/admin/studio/edit').then((a) => setAvailable(a), () => setAvailable(null))
  }, [])
  useEffect(() => setPolicy(sourceOf(meta, table, operation)), [meta, table, operation])
  const edit = async (body: object) => {
    setBusy(true)
    try {
      setResult(await post<EditResult>('/admin/studio/edit', body))
      setProblem('')
    } catch (error) {
      setResult(null)
      setProblem(error instanceof StudioApiError ? `${error.code}: ${error.message}` : String(error))
    } finally {
      setBusy(false)
    }
  }
  const submit = (handler: (form: FormData) => object) => (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    void edit(handler(new FormData(event.currentTarget)))
  }
  const columns = meta.tables.find((t) => t.name === table)?.columns ?? []
  const indexes = meta.tables.find((t) => t.name === table)?.indexes ?? []
  const types = available?.columnTypes ?? []
  return (
    <section className="content" aria-label="Schema and policies">
      <h1>Schema and policies</h1>
      {available === undefined ? <p className="muted">Checking whether edits are available…</p> : available === null ? (
        <p className="banner" role="note">Read-only: the schema and policies are code (schema/*.ts, policies/*.ts). Run <code>koyalite dev</code> to edit them from here; the policies' sources and SQL are in generated/access.md.</p>
      ) : (
        <p className="muted">Each edit is written into your code (schema/ or policies/), regenerated and migrated by <code>koyalite dev</code>; the diff and the migration are shown below. An edit the compiler refuses is undone.</p>
      )}
      <label>Table <select aria-label="Table" value={table} onChange={(e) => setTable(e.target.value)}>{meta.tables.map((t) => <option key={t.name}>{t.name}</option>)}</select></label>
      {available ? (
        <div className="edits">
          <form className="card row wrap" aria-label="Add a column" onSubmit={submit((f) => ({ kind: 'addColumn', table, column: { name: String(f.get('name')), type: String(f.get('type')), optional: f.get('optional') === 'on' } }))}>
            <h3>Add a column</h3>
            <input name="name" aria-label="New column name" placeholder="name" required pattern="[A-Za-z_][A-Za-z0-9_]*" />
            <select name="type" aria-label="New column type">{types.map((t) => <option key={t}>{t}</option>)}</select>
            <label className="check"><input type="checkbox" name="optional" defaultChecked />optional</label>
            <button type="submit" disabled={busy}>Add column</button>
          </form>
          <form className="card row wrap" aria-label="Rename a column" onSubmit={submit((f) => ({ kind: 'renameColumn', table, from: String(f.get('from')), to: String(f.get('to')) }))}>
            <h3>Rename a column</h3>
            <select name="from" aria-label="Column to rename">{columns.filter((c) => !c.readOnly).map((c) => <option key={c.name}>{c.name}</option>)}</select>
            <input name="to" aria-label="New name" placeholder="new name" required pattern="[A-Za-z_][A-Za-z0-9_]*" />
            <button type="submit" disabled={busy}>Rename</button>
          </form>
          <form className="card row wrap" aria-label="Add an index" onSubmit={submit((f) => ({ kind: 'addIndex', table, columns: splitColumns(f.get('columns')), unique: f.get('unique') === 'on' }))}>
            <h3>Add an index</h3>
            <input name="columns" aria-label="Index columns" placeholder={columns.slice(0, 2).map((c) => c.name).join(', ')} required size={28} list="index-columns" />
            <datalist id="index-columns">{columns.map((c) => <option key={c.name} value={c.name} />)}</datalist>
            <label className="check"><input type="checkbox" name="unique" />unique</label>
            <button type="submit" disabled={busy}>Add index</button>
          </form>
          {indexes.length > 0 ? (
            <div className="card" role="group" aria-label="Indexes">
              <h3>Indexes of {table}</h3>
              <p className="muted">An index's name comes from its table and columns: change its columns to rename it. An index a column makes (<code>.unique()</code>, a reference) is changed on that column.</p>
              {indexes.map((index) => (
                <form key={`${table}:${index.name}`} className="row wrap" aria-label={`Index ${index.name}`} onSubmit={submit((f) => ({ kind: 'editIndex', table, columns: index.columns, to: splitColumns(f.get('columns')), unique: f.get('unique') === 'on' }))}>
                  <code>{index.name}</code>
                  <input name="columns" aria-label={`Columns of ${index.name}`} defaultValue={index.columns.join(', ')} required size={28} list="index-columns" />
                  <label className="check"><input type="checkbox" name="unique" defaultChecked={index.unique} />unique</label>
                  <button type="submit" disabled={busy}>Save index</button>
                  <button type="button" className="danger" disabled={busy} onClick={() => { if (confirm(`Drop ${index.name}? The migration drops the index; the rows stay.`)) void edit({ kind: 'dropIndex', table, columns: index.columns }) }}>Drop</button>
                </form>
              ))}
            </div>
          ) : null}
          <form className="card row wrap" aria-label="Add a table" onSubmit={submit((f) => ({ kind: 'addTable', table: String(f.get('table')), columns: parseColumns(String(f.get('columns'))) }))}>
            <h3>Add a table</h3>
            <input name="table" aria-label="New table name" placeholder="table" required pattern="[A-Za-z_][A-Za-z0-9_]*" />
            <input name="columns" aria-label="Its columns" placeholder="title:text, points:int?" size={32} />
            <button type="submit" disabled={busy}>Add table</button>
          </form>
        </div>
      ) : null}
      <form className="card" aria-label="Policy" onSubmit={submit(() => ({ kind: 'editPolicy', table, operation, source: policy }))}>
        <div className="row">
          <h3>Policy of {table}</h3>
          {locationOf(meta, table, operation) ? <code className="muted" data-testid="policy-location">{locationOf(meta, table, operation)}</code> : null}
          <select aria-label="Policy operation" value={operation} onChange={(e) => setOperation(e.target.value as Operation)}>{OPERATIONS.map((o) => <option key={o}>{o}</option>)}</select>
        </div>
        <textarea aria-label="Policy source" className="sql" rows={4} value={policy} readOnly={!available} placeholder={`no ${operation} rule: denied to everyone but the service key`} onChange={(e) => setPolicy(e.target.value)} />
        {available ? <button type="submit" disabled={busy || policy.trim() === ''}>Save policy</button> : null}
      </form>
      {problem ? <pre className="error result" role="alert">{problem}</pre> : null}
      {result ? (
        <div aria-label="Edit result" data-testid="edit-result">
          {result.files.map((f) => <div key={f.path}><h3>{f.path}</h3><pre className="result diff">{f.diff}</pre></div>)}
          <h3>Migration</h3>
          {result.migration ? <pre className="result" aria-label="Migration SQL">{`-- ${result.migration.name}\n${result.migration.sql}`}</pre> : <p className="muted">None: the schema did not change.</p>}
          <p className="muted">The dev server reloads with the change; <button type="button" className="ghost" onClick={() => location.reload()}>Reload Studio</button> to see the new model.</p>
        </div>
      ) : null}
    </section>
  )
}

export default SchemaPage
