import { createRoot } from 'react-dom/client'
import './styles.css'
import { preload } from './api.ts'
import './pages/index.ts'
import { COUNTS_URL, firstPageUrl } from './pages/data-page.tsx'
import { currentRoute } from './registry.ts'
import { Shell } from './shell.tsx'

// What the first screen needs, all requested now and in parallel (issue 17: first meaningful
// paint under 1 s): the session, the model, and for the data browser opened on a table without
// filters, its estimated counts and first page. Each is handed to the code that asks for it.
preload('/auth/session')
preload('/admin/meta')
const route = currentRoute()
if (route.page === 'data' && route.rest[0] !== undefined && route.search.size === 0) {
  preload(COUNTS_URL)
  preload(firstPageUrl(encodeURIComponent(route.rest[0])))
}

createRoot(document.getElementById('root')!).render(<Shell />)
