// A whole row in one form: a new row (POST) or every field of an existing one (PATCH). The API's
// refusal is shown on the field it names (`/slug must NOT have fewer than 2 characters`).
import { useState, type FormEvent } from 'react'
import { request, StudioApiError, type Table } from './api.ts'
import { display, parseEdit } from './cells.tsx'

type Row = Record<string, unknown>

export function RowForm({ table, row, onDone }: { table: Table; row?: Row | undefined; onDone: (saved: boolean) => void }) {
  const columns = table.columns.filter((c) => !c.readOnly)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const body: Row = {}
    try {
      for (const column of columns) {
        const text = String(form.get(column.name) ?? '')
        if (text === '' && row === undefined && (column.default !== null || column.nullable)) continue
        if (row !== undefined && text === display(row[column.name])) continue
        body[column.name] = parseEdit(column, text)
      }
      if (row === undefined) await request('POST', `/api/${table.name}`, { body })
      else await request('PATCH', `/api/${table.name}/${String(row.id)}`, { body })
      onDone(true)
    } catch (error) {
      const message = error instanceof StudioApiError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)
      const named = /\/(\w+)/.exec(message)?.[1]
      setProblem({ field: named && columns.some((c) => c.name === named) ? named : null, message })
    }
  }
  return (
    <form className="card row-form" aria-label={row === undefined ? `New ${table.name} row` : `Edit row ${String(row.id)}`} onSubmit={(e) => void submit(e)}>
      {columns.map((column) => {
        const invalid = problem?.field === column.name
        return (
          <label key={column.name} className={invalid ? 'invalid' : undefined}>
            {column.name}
            {column.type === 'enum' ? (
              <select name={column.name} defaultValue={display(row?.[column.name])} aria-invalid={invalid || undefined}>
                {column.nullable || row === undefined ? <option value="" /> : null}
                {(column.values ?? []).map((v) => <option key={v}>{v}</option>)}
              </select>
            ) : (
              <input name={column.name} defaultValue={display(row?.[column.name])} aria-invalid={invalid || undefined} placeholder={column.type} />
            )}
            {invalid ? <span className="cell-error" role="alert">{problem.message}</span> : null}
          </label>
        )
      })}
      {problem && problem.field === null ? <p className="error" role="alert">{problem.message}</p> : null}
      <div className="row">
        <button type="submit">{row === undefined ? 'Create' : 'Save row'}</button>
        <button type="button" className="ghost" onClick={() => onDone(false)}>Cancel</button>
      </div>
    </form>
  )
}
