// Showing and editing one cell: text, numbers, booleans, enums, timestamps and JSON.
import { useState, type KeyboardEvent } from 'react'
import type { Column } from './api.ts'
import { BASE, navigate } from './registry.ts'

export function display(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** The column's value as its editor shows it. */
function editText(column: Column, value: unknown): string {
  if (value === null || value === undefined) return ''
  if (column.type === 'json') return JSON.stringify(value, null, 2)
  if (column.type === 'timestamp') return String(value).slice(0, 19)
  return String(value)
}

/** What the editor's text becomes in the PATCH body; throws a message for malformed JSON. */
export function parseEdit(column: Column, text: string): unknown {
  if (text === '' && column.nullable) return null
  switch (column.type) {
    case 'int':
    case 'real':
      return text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text)
    case 'bool':
      return text === 'true'
    case 'json':
      try {
        return JSON.parse(text) as unknown
      } catch (error) {
        throw new Error(`Not JSON: ${error instanceof Error ? error.message : String(error)}`)
      }
    case 'timestamp':
      // datetime-local has no zone: read it as UTC, as Studio shows timestamps.
      return /Z$|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`
    default:
      return text
  }
}

export function CellEditor({ column, value, onSave, onCancel }: { column: Column; value: unknown; onSave: (value: unknown) => void; onCancel: () => void }) {
  const [text, setText] = useState(editText(column, value))
  const [problem, setProblem] = useState('')
  const commit = () => {
    try {
      onSave(parseEdit(column, text))
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error))
    }
  }
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onCancel()
    if (event.key === 'Enter' && (column.type !== 'json' || event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      commit()
    }
  }
  const label = `Edit ${column.name}`
  let input
  if (column.type === 'bool') {
    input = <select aria-label={label} autoFocus value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey}><option value="true">true</option><option value="false">false</option>{column.nullable ? <option value="">null</option> : null}</select>
  } else if (column.type === 'enum') {
    input = <select aria-label={label} autoFocus value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey}>{column.nullable ? <option value="">null</option> : null}{(column.values ?? []).map((v) => <option key={v}>{v}</option>)}</select>
  } else if (column.type === 'json') {
    input = <textarea aria-label={label} autoFocus rows={6} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
  } else if (column.type === 'timestamp') {
    input = <input aria-label={label} autoFocus type="datetime-local" step="1" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
  } else if (column.type === 'date') {
    input = <input aria-label={label} autoFocus type="date" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
  } else {
    input = <input aria-label={label} autoFocus type={column.type === 'int' || column.type === 'real' ? 'number' : 'text'} step="any" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
  }
  return (
    <div className="editor">
      {input}
      <div className="row">
        <button type="button" onClick={commit}>Save</button>
        <button type="button" className="ghost" onClick={onCancel}>Cancel</button>
      </div>
      {problem ? <p className="error" role="alert">{problem}</p> : null}
    </div>
  )
}

export function CellValue({ column, value }: { column: Column; value: unknown }) {
  if (value === null || value === undefined) return <span className="null">null</span>
  if (column.references && typeof value === 'string') {
    const to = `${BASE}data/${column.references.table}?id=eq.${encodeURIComponent(value)}`
    return <a href={to} onClick={(e) => { e.preventDefault(); e.stopPropagation(); navigate(to) }}>{value.slice(0, 8)}…</a>
  }
  if (column.type === 'bool') return <span>{value ? '✓ true' : '✗ false'}</span>
  return <span>{display(value)}</span>
}
