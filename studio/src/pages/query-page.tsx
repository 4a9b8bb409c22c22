import { useState } from 'react'
import { request } from '../api.ts'
import { FilterEditor } from '../filters.tsx'
import { type PageProps } from '../registry.ts'
import { graphqlQuery, restUrl, sdkCall, type BuiltQuery, type Filter } from '../rest.ts'

function Copyable({ label, text, testId }: { label: string; text: string; testId: string }) {
  return (
    <div className="copy">
      <div className="row"><h3>{label}</h3><button type="button" className="ghost" onClick={() => void navigator.clipboard?.writeText(text)}>Copy</button></div>
      <pre data-testid={testId}>{text}</pre>
    </div>
  )
}

function QueryPage({ meta }: PageProps) {
  const [tableName, setTableName] = useState(meta.tables[0]?.name ?? '')
  const table = meta.tables.find((t) => t.name === tableName)
  const [columns, setColumns] = useState<string[]>([])
  const [embeds, setEmbeds] = useState<string[]>([])
  const [filters, setFilters] = useState<Filter[]>([])
  const [orderColumn, setOrderColumn] = useState('')
  const [direction, setDirection] = useState<'asc' | 'desc'>('asc')
  const [limit, setLimit] = useState(20)
  const [result, setResult] = useState<string>('')
  if (!table) return <p>No tables.</p>
  const query: BuiltQuery = { table: table.name, columns, embeds, filters, order: orderColumn ? { column: orderColumn, direction } : null, limit }
  const url = restUrl(query)
  const toggle = (list: string[], set: (l: string[]) => void, name: string) => set(list.includes(name) ? list.filter((n) => n !== name) : [...list, name])
  return (
    <section className="content" aria-label="Query builder">
      <h1>Query builder</h1>
      <div className="row wrap">
        <label>Table <select value={tableName} onChange={(e) => { setTableName(e.target.value); setColumns([]); setEmbeds([]); setFilters([]); setOrderColumn('') }}>{meta.tables.map((t) => <option key={t.name}>{t.name}</option>)}</select></label>
        <label>Order by <select value={orderColumn} onChange={(e) => setOrderColumn(e.target.value)}><option value="">—</option>{table.columns.map((c) => <option key={c.name}>{c.name}</option>)}</select></label>
        <label>Direction <select value={direction} onChange={(e) => setDirection(e.target.value as 'asc' | 'desc')}><option>asc</option><option>desc</option></select></label>
        <label>Limit <input type="number" min={1} max={1000} value={limit} onChange={(e) => setLimit(Math.max(1, Math.min(1000, Number(e.target.value) || 1)))} /></label>
      </div>
      <fieldset><legend>Columns (none: all)</legend>
        {table.columns.map((c) => <label key={c.name} className="check"><input type="checkbox" checked={columns.includes(c.name)} onChange={() => toggle(columns, setColumns, c.name)} />{c.name}</label>)}
      </fieldset>
      {table.relations.length > 0 ? (
        <fieldset><legend>Embeds</legend>
          {table.relations.map((r) => <label key={r.name} className="check"><input type="checkbox" checked={embeds.includes(r.name)} onChange={() => toggle(embeds, setEmbeds, r.name)} />{r.name} <span className="muted">({r.kind} {r.table})</span></label>)}
        </fieldset>
      ) : null}
      <FilterEditor key={table.name} table={table} filters={filters} onApply={setFilters} />
      <button type="button" onClick={() => void request('GET', url).then((a) => setResult(JSON.stringify(a.body, null, 2)), (e: unknown) => setResult(String(e instanceof Error ? e.message : e)))}>Run</button>
      <div className="columns">
        <Copyable label="REST URL" text={url} testId="rest-url" />
        <Copyable label="SDK" text={sdkCall(query, table)} testId="sdk-call" />
        <Copyable label="GraphQL" text={graphqlQuery(query, table, meta.tables)} testId="graphql-query" />
      </div>
      {result ? <pre className="card result" data-testid="query-result">{result}</pre> : null}
    </section>
  )
}

export default QueryPage
