import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { get, isViewingAs, privacyLabelOf, request, StudioApiError, viewAsTokenNow, type Meta, type Table } from '../api.ts'
import { subscribeTable, type LiveChange } from '../live.ts'
import { CellEditor, CellValue } from '../cells.tsx'
import { download, parseCsv, toCsv } from '../files.ts'
import { FilterEditor } from '../filters.tsx'
import { BASE, navigate, registerPage, type PageProps } from '../registry.ts'
import { filterParams, filtersOf, keysetParams, orderParam, type Filter, type Sort } from '../rest.ts'
import { RowForm } from '../row-form.tsx'
import { ViewAs } from '../view-as.tsx'
import { parseEdit } from '../cells.tsx'

const PAGE_SIZE = 50
const EXPORT_CHUNK = 500
type Row = Record<string, unknown>

/** The first page of a table as the grid asks for it unfiltered (main.tsx preloads it). */
export function firstPageUrl(table: string): string {
  const params = new URLSearchParams({ order: orderParam({ column: 'id', direction: 'asc' }), limit: String(PAGE_SIZE + 1) })
  return `/api/${table}?${params}`
}
export const COUNTS_URL = '/admin/studio/counts'

function DataPage({ meta, rest, search }: PageProps) {
  const [counts, setCounts] = useState<Record<string, number>>({})
  useEffect(() => void get<Record<string, number>>(COUNTS_URL).then(setCounts, () => {}), [])
  const table = meta.tables.find((t) => t.name === rest[0]) ?? meta.tables[0]
  return (
    <div className="split">
      <aside aria-label="Tables">
        <h2 className="small">Tables</h2>
        <ul className="list">
          {meta.tables.map((t) => (
            <li key={t.name}>
              <a href={`${BASE}data/${t.name}`} aria-current={t === table ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate(`${BASE}data/${t.name}`) }}>
                {t.name} <span className="muted">~{counts[t.name] ?? '…'}</span>
              </a>
            </li>
          ))}
        </ul>
      </aside>
      {table ? <TableView key={table.name + search.toString()} meta={meta} table={table} search={search} estimate={counts[table.name]} /> : <p>No tables.</p>}
    </div>
  )
}

function TableView({ meta, table, search, estimate }: { meta: Meta; table: Table; search: URLSearchParams; estimate: number | undefined }) {
  const [filters, setFilters] = useState<Filter[]>(() => filtersOf(search, table))
  const [sort, setSort] = useState<Sort>({ column: 'id', direction: 'asc' })
  const [cursors, setCursors] = useState<Row[]>([]) // the last row of each page before this one
  const [rows, setRows] = useState<Row[]>([])
  const [more, setMore] = useState(false)
  const [exact, setExact] = useState<number | null>(null)
  const [error, setError] = useState('')
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [editing, setEditing] = useState<{ id: string; column: string } | null>(null)
  const [cellErrors, setCellErrors] = useState<Record<string, string>>({})
  const [confirming, setConfirming] = useState(false)
  const [report, setReport] = useState('')
  const [viewingAs, setViewingAs] = useState<string | null>(null)
  // The row form: 'new', or the row being edited whole.
  const [form, setForm] = useState<'new' | Row | null>(null)
  const columns = table.columns
  const readOnly = viewingAs !== null

  const baseParams = useCallback(() => {
    const params = new URLSearchParams()
    for (const [k, v] of filterParams(filters)) params.append(k, v)
    return params
  }, [filters])

  const load = useCallback(async () => {
    const params = baseParams()
    const last = cursors.at(-1)
    if (last) for (const [k, v] of keysetParams(sort, last)) params.append(k, v)
    params.set('order', orderParam(sort))
    params.set('limit', String(PAGE_SIZE + 1))
    try {
      const { body } = await request<Row[]>('GET', `/api/${table.name}?${params}`)
      setMore(body.length > PAGE_SIZE)
      setRows(body.slice(0, PAGE_SIZE))
      setError('')
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure))
      setRows([])
    }
  }, [baseParams, cursors, sort, table.name])
  useEffect(() => void load(), [load, viewingAs])
  // Viewing as a user: their realtime subscription to this table, as they would have it (their
  // token, their policies): what it receives is listed, and each change reloads the page.
  const [received, setReceived] = useState<LiveChange[]>([])
  const [live, setLive] = useState(false)
  const reload = useRef(load)
  reload.current = load
  useEffect(() => {
    setReceived([])
    if (viewingAs === null) return
    return subscribeTable(table.name, (change) => { setReceived((r) => [change, ...r].slice(0, 20)); void reload.current() }, setLive, viewAsTokenNow())
  }, [table.name, viewingAs])

  const countExactly = async () => {
    const params = baseParams()
    params.set('limit', '1')
    params.set('select', 'id')
    const { headers } = await request('GET', `/api/${table.name}?${params}`, { headers: { prefer: 'count=exact' } })
    setExact(Number(headers.get('content-range')?.split('/')[1] ?? 0))
  }

  const applyFilters = (next: Filter[]) => {
    setFilters(next)
    setCursors([])
    setExact(null)
  }
  const sortBy = (column: string) => {
    setSort((s) => ({ column, direction: s.column === column && s.direction === 'asc' ? 'desc' : 'asc' }))
    setCursors([])
  }

  const save = async (row: Row, column: string, value: unknown) => {
    const key = `${String(row.id)}:${column}`
    try {
      const { body } = await request<Row>('PATCH', `/api/${table.name}/${String(row.id)}`, { body: { [column]: value }, headers: { prefer: 'return=representation' } })
      setRows((rs) => rs.map((r) => (r.id === row.id ? body : r)))
      setCellErrors(({ [key]: _gone, ...restErrors }) => restErrors)
      setEditing(null)
    } catch (failure) {
      setCellErrors((errs) => ({ ...errs, [key]: failure instanceof StudioApiError ? `${failure.code}: ${failure.message}` : String(failure) }))
      setEditing(null)
    }
  }

  const deleteSelected = async () => {
    const ids = [...selected]
    await request('DELETE', `/api/${table.name}?id=in.(${ids.map((id) => `"${id}"`).join(',')})`)
    setSelected(new Set())
    setConfirming(false)
    await load()
  }

  const importCsv = async (file: File) => {
    const [header, ...data] = parseCsv(await file.text())
    if (!header) return
    const refused: string[] = []
    let created = 0
    for (const [index, cells] of data.entries()) {
      const row: Row = {}
      header.forEach((name, i) => {
        const column = columns.find((c) => c.name === name)
        if (!column || column.readOnly || cells[i] === undefined) return
        if (cells[i] === '' && !column.nullable) return
        try {
          row[name] = parseEdit(column, cells[i]!)
        } catch {
          row[name] = cells[i]
        }
      })
      try {
        await request('POST', `/api/${table.name}`, { body: row })
        created++
      } catch (failure) {
        refused.push(`row ${index + 2}: ${failure instanceof Error ? failure.message : String(failure)}`)
      }
    }
    setReport(`Imported ${created} of ${data.length} rows.${refused.length > 0 ? ` Refused:\n${refused.join('\n')}` : ''}`)
    await load()
  }

  const onGridKey = (event: KeyboardEvent<HTMLTableElement>) => {
    const cell = (event.target as HTMLElement).closest('td[data-col]') as HTMLElement | null
    if (!cell || editing) return
    const r = Number(cell.dataset.row)
    const c = Number(cell.dataset.col)
    const move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[event.key]
    if (move) {
      event.preventDefault()
      ;(event.currentTarget.querySelector(`td[data-row="${r + move[0]!}"][data-col="${c + move[1]!}"]`) as HTMLElement | null)?.focus()
    } else if (event.key === 'Enter' && !readOnly) {
      const column = columns[c]!
      if (!column.readOnly) setEditing({ id: String(rows[r]!.id), column: column.name })
    }
  }

  const names = useMemo(() => columns.map((c) => c.name), [columns])
  // Export of the whole view (its filters and order, not just the page shown), streamed: pages of
  // EXPORT_CHUNK rows by keyset through the API, each turned into its part of the file as it
  // arrives, so no step holds the whole table as one string.
  const [exporting, setExporting] = useState<number | null>(null)
  const exportView = async (format: 'csv' | 'json') => {
    const parts: string[] = [format === 'csv' ? toCsv(names, []) : '[']
    let last: Row | undefined
    let count = 0
    setExporting(0)
    try {
      for (;;) {
        const params = baseParams()
        if (last) for (const [k, v] of keysetParams(sort, last)) params.append(k, v)
        params.set('order', orderParam(sort))
        params.set('limit', String(EXPORT_CHUNK))
        const { body } = await request<Row[]>('GET', `/api/${table.name}?${params}`)
        if (body.length > 0) parts.push(format === 'csv' ? toCsv(names, body).slice(parts[0]!.length) : `${count === 0 ? '' : ','}\n${body.map((r) => JSON.stringify(r)).join(',\n')}`)
        count += body.length
        setExporting(count)
        if (body.length < EXPORT_CHUNK) break
        last = body[body.length - 1]
      }
      if (format === 'json') parts.push('\n]\n')
      download(`${table.name}.${format}`, format === 'csv' ? 'text/csv' : 'application/json', parts)
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure))
    } finally {
      setExporting(null)
    }
  }
  const page = cursors.length + 1
  return (
    <section className="content" aria-label={`Table ${table.name}`}>
      <div className="row wrap">
        <h1>{table.name}</h1>
        <span className="muted" data-testid="count">{exact !== null ? `${exact} rows` : `~${estimate ?? '…'} rows (estimated)`}</span>
        <button type="button" className="ghost" onClick={() => void countExactly()}>Exact count</button>
        <span className="spacer" />
        <ViewAs meta={meta} onChange={(email) => { setViewingAs(email); setCursors([]) }} />
      </div>
      {readOnly ? <p className="banner" role="status">Viewing as {viewingAs}: read-only, with their policies.</p> : null}
      {readOnly ? (
        <section className="card" aria-label="Their realtime subscription">
          <h3>Realtime as {viewingAs} <span className="muted">{live ? 'subscribed' : 'connecting…'}</span></h3>
          {received.length === 0 ? <p className="muted">No change of {table.name} received yet: changes they may read arrive here (and reload the rows), the rest never do.</p> : (
            <ul className="list" data-testid="realtime-received">{received.map((c) => <li key={c.seq}><code>{c.event}</code> {c.rowId} <span className="muted">#{c.seq}</span></li>)}</ul>
          )}
        </section>
      ) : null}
      {readOnly && (meta.buckets ?? []).length > 0 ? <TheirFiles buckets={meta.buckets!} who={viewingAs!} /> : null}
      <FilterEditor table={table} filters={filters} onApply={applyFilters} />
      <div className="row wrap toolbar">
        <button type="button" onClick={() => void load()}>Refresh</button>
        <button type="button" disabled={exporting !== null} onClick={() => void exportView('csv')}>Export CSV</button>
        <button type="button" disabled={exporting !== null} onClick={() => void exportView('json')}>Export JSON</button>
        {exporting !== null ? <span role="status" className="muted">Exporting… {exporting} rows</span> : null}
        {!readOnly ? <button type="button" onClick={() => setForm('new')}>New row</button> : null}
        {!readOnly && selected.size === 1 ? <button type="button" className="ghost" onClick={() => setForm(rows.find((r) => selected.has(String(r.id))) ?? null)}>Edit row</button> : null}
        {!readOnly ? <label className="file">Import CSV<input type="file" accept=".csv,text/csv" onChange={(e) => { const f = e.target.files?.[0]; if (f) void importCsv(f) }} /></label> : null}
        {!readOnly && selected.size > 0 ? <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete {selected.size}</button> : null}
        <span className="spacer" />
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>← Previous</button>
        <span className="muted">page {page}</span>
        <button type="button" disabled={!more} onClick={() => setCursors((c) => [...c, rows.at(-1)!])}>Next →</button>
      </div>
      {confirming ? (
        <div className="card confirm" role="alertdialog" aria-label="Confirm delete">
          <p>Delete {selected.size} row(s) of {table.name}? This cannot be undone.</p>
          <button type="button" className="danger" autoFocus onClick={() => void deleteSelected()}>Delete</button>
          <button type="button" className="ghost" onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      ) : null}
      {form !== null ? <RowForm table={table} row={form === 'new' ? undefined : form} onDone={(saved) => { setForm(null); if (saved) void load() }} /> : null}
      {report ? <pre className="card report" role="status">{report}</pre> : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
      <div className="grid-wrap">
        <table className="grid" onKeyDown={onGridKey} aria-label={`Rows of ${table.name}`}>
          <thead>
            <tr>
              <th scope="col"><span className="sr">Select</span></th>
              {columns.map((c) => (
                <th key={c.name} scope="col" aria-sort={sort.column === c.name ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" className="th" onClick={() => sortBy(c.name)}>{c.name} <span className="muted">{c.type}{privacyLabelOf(c) !== '' ? ` · ${privacyLabelOf(c)}` : ''}</span>{sort.column === c.name ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}</button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={String(row.id)}>
                <td><input type="checkbox" aria-label={`Select row ${String(row.id)}`} disabled={readOnly} checked={selected.has(String(row.id))} onChange={(e) => setSelected((s) => { const n = new Set(s); if (e.target.checked) n.add(String(row.id)); else n.delete(String(row.id)); return n })} /></td>
                {columns.map((column, c) => {
                  const key = `${String(row.id)}:${column.name}`
                  const isEditing = editing?.id === String(row.id) && editing.column === column.name
                  return (
                    <td key={column.name} data-row={r} data-col={c} tabIndex={r === 0 && c === 0 ? 0 : -1} className={cellErrors[key] ? 'invalid' : undefined} aria-invalid={cellErrors[key] ? true : undefined}
                      onDoubleClick={() => { if (!readOnly && !column.readOnly) setEditing({ id: String(row.id), column: column.name }) }}>
                      {isEditing ? <CellEditor column={column} value={row[column.name]} onSave={(v) => void save(row, column.name, v)} onCancel={() => setEditing(null)} /> : <CellValue column={column} value={row[column.name]} />}
                      {cellErrors[key] ? <div className="cell-error" role="alert">{cellErrors[key]}</div> : null}
                    </td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && !error ? <p className="muted">No rows{isViewingAs() ? ' this user may read' : ''}.</p> : null}
      </div>
    </section>
  )
}

interface StoredObject { id: string; name: string; size: number; contentType?: string }

/**
 * Viewing as a user: the files of each bucket they see, asked as them (`GET /storage/<bucket>`
 * with the impersonation's token: their own objects that the bucket's read rule admits).
 */
function TheirFiles({ buckets, who }: { buckets: readonly string[]; who: string }) {
  const [files, setFiles] = useState<Record<string, StoredObject[] | string>>({})
  useEffect(() => {
    for (const bucket of buckets) {
      void get<StoredObject[]>(`/storage/${encodeURIComponent(bucket)}`).then(
        (list) => setFiles((f) => ({ ...f, [bucket]: list })),
        (error: unknown) => setFiles((f) => ({ ...f, [bucket]: error instanceof Error ? error.message : String(error) })),
      )
    }
  }, [buckets, who])
  return (
    <section className="card" aria-label="Their files">
      <h3>Files as {who}</h3>
      {buckets.map((bucket) => {
        const list = files[bucket]
        return (
          <div key={bucket}>
            <h4>{bucket}</h4>
            {list === undefined ? <p className="muted">Loading…</p> : typeof list === 'string' ? <p className="error">{list}</p> : list.length === 0 ? <p className="muted">None they may read.</p> : (
              <ul className="list" data-testid={`files-${bucket}`}>{list.map((o) => <li key={o.id}><code>{o.name}</code> <span className="muted">{o.size} bytes · {o.id}</span></li>)}</ul>
            )}
          </div>
        )
      })}
    </section>
  )
}

registerPage({ path: 'data', title: 'Data', key: 'd', order: 10, component: DataPage })
