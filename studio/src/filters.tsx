// Filters built from a table's columns; the REST grammar underneath (`col=op.value`).
import { useState } from 'react'
import type { Table } from './api.ts'
import { OPERATORS, type Filter } from './rest.ts'

export function FilterEditor({ table, filters, onApply }: { table: Table; filters: readonly Filter[]; onApply: (filters: Filter[]) => void }) {
  const [draft, setDraft] = useState<Filter[]>([...filters])
  const set = (i: number, patch: Partial<Filter>) => setDraft((d) => d.map((f, j) => (j === i ? { ...f, ...patch } : f)))
  return (
    <form className="filters" aria-label="Filters" onSubmit={(e) => { e.preventDefault(); onApply(draft) }}>
      {draft.map((f, i) => {
        const column = table.columns.find((c) => c.name === f.column)
        return (
          <div className="row" key={i}>
            <select aria-label={`Filter ${i + 1} column`} value={f.column} onChange={(e) => set(i, { column: e.target.value })}>
              {table.columns.map((c) => <option key={c.name}>{c.name}</option>)}
            </select>
            <select aria-label={`Filter ${i + 1} operator`} value={f.operator} onChange={(e) => set(i, { operator: e.target.value })}>
              {OPERATORS.map((o) => <option key={o}>{o}</option>)}
              {OPERATORS.map((o) => <option key={`not.${o}`} value={`not.${o}`}>not {o}</option>)}
            </select>
            {column?.values && (f.operator === 'eq' || f.operator === 'neq') ? (
              <select aria-label={`Filter ${i + 1} value`} value={f.value} onChange={(e) => set(i, { value: e.target.value })}>
                <option value="">—</option>
                {column.values.map((v) => <option key={v}>{v}</option>)}
              </select>
            ) : (
              <input aria-label={`Filter ${i + 1} value`} value={f.value} placeholder={f.operator === 'in' ? 'a,b,c' : f.operator === 'is' ? 'null' : 'value'} onChange={(e) => set(i, { value: e.target.value })} />
            )}
            <button type="button" className="ghost" aria-label={`Remove filter ${i + 1}`} onClick={() => setDraft((d) => d.filter((_, j) => j !== i))}>✕</button>
          </div>
        )
      })}
      <div className="row">
        <button type="button" className="ghost" onClick={() => setDraft((d) => [...d, { column: table.columns[0]?.name ?? 'id', operator: 'eq', value: '' }])}>+ Filter</button>
        <button type="submit">Apply filters</button>
      </div>
    </form>
  )
}
