import { useCallback, useEffect, useState } from 'react'
import { StudioApiError } from '../api.ts'

// Shared by the admin dashboard's pages (users, audit, logs, monitor, jobs).

/** A message for a failed call: its code and message. */
export function problemOf(error: unknown): string {
  return error instanceof StudioApiError ? `${error.code}: ${error.message}` : String(error)
}

/** Load with `load` now, whenever `deps` change, and every `everyMs` (when given); `reload` to load at once. */
export function useLoaded<T>(load: () => Promise<T>, deps: readonly unknown[], everyMs?: number): { data: T | undefined; problem: string; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined)
  const [problem, setProblem] = useState('')
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((n) => n + 1), [])
  useEffect(() => {
    let live = true
    load().then((value) => { if (live) { setData(value); setProblem('') } }, (error: unknown) => { if (live) setProblem(problemOf(error)) })
    return () => { live = false }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick])
  useEffect(() => {
    if (everyMs === undefined) return
    const timer = setInterval(reload, everyMs)
    return () => clearInterval(timer)
  }, [everyMs, reload])
  return { data, problem, reload }
}

/** Run an admin action, then `reload`: `done` says what it did, `problem` why it failed. */
export function useAction(reload: () => void): { act: (what: string, run: () => Promise<unknown>) => Promise<void>; done: string; problem: string } {
  const [done, setDone] = useState('')
  const [problem, setProblem] = useState('')
  const act = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run()
      setDone(what)
      setProblem('')
    } catch (error) {
      setProblem(problemOf(error))
    }
    reload()
  }
  return { act, done, problem }
}

export function Problem({ text }: { readonly text: string }) {
  return text ? <p className="error" role="alert">{text}</p> : null
}

/** Query parameters from the filled-in fields only. */
export function queryOf(fields: Record<string, string>): string {
  const params = new URLSearchParams(Object.entries(fields).filter(([, value]) => value !== ''))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

export const ms = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)} ms`)
export const bytes = (value: number) => (value >= 1048576 ? `${(value / 1048576).toFixed(1)} MB` : `${(value / 1024).toFixed(0)} KB`)
