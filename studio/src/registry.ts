// The pages of Studio's navigation. A page registers itself (path, title, component); the shell
// lists them in order and routes to them, so new pages (users, audit, logs, metrics) plug in by
// adding a file and one import in pages/index.ts, without touching the shell.
import type { ComponentType } from 'react'
import type { Meta } from './api.ts'

export interface PageProps {
  readonly meta: Meta
  /** The path after the page's own, split on `/` (`/_/data/tasks` → ['tasks']). */
  readonly rest: readonly string[]
  /** Query parameters of the current URL (filters of the data browser). */
  readonly search: URLSearchParams
  /** `koyalite dev`: write mode of the SQL console, schema edits. */
  readonly dev: boolean
}

export interface StudioPage {
  /** The first path segment under /_/: `data` → /_/data. */
  readonly path: string
  readonly title: string
  /** The key that, after `g`, opens the page (`g d`). */
  readonly key: string
  /** Lower sorts first in the navigation. */
  readonly order: number
  readonly component: ComponentType<PageProps>
  /**
   * An admin URL the page reads, for a page of a module the app may not load (webhooks,
   * functions): the shell asks it once after sign-in and lists the page only when it exists
   * (any answer but 404).
   */
  readonly probe?: string
}

const pages: StudioPage[] = []

export function registerPage(page: StudioPage): void {
  if (pages.some((p) => p.path === page.path)) throw new Error(`Studio page /_/${page.path} is registered twice.`)
  pages.push(page)
  pages.sort((a, b) => a.order - b.order)
}

export function studioPages(): readonly StudioPage[] {
  return pages
}

// ── Routing: /_/<page>/<rest…>?<search>, with the History API ──────────────────────────────────

export const BASE = '/_/'

export function navigate(to: string): void {
  if (location.pathname + location.search === to) return
  history.pushState(null, '', to)
  dispatchEvent(new PopStateEvent('popstate'))
}

export function currentRoute(): { page: string; rest: string[]; search: URLSearchParams } {
  const parts = location.pathname.slice(BASE.length).split('/').filter((p) => p !== '').map(decodeURIComponent)
  return { page: parts[0] ?? '', rest: parts.slice(1), search: new URLSearchParams(location.search) }
}
