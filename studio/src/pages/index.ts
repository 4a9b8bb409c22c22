// Every page of Studio: one registration each (the registry orders them). The data browser, the
// page Studio opens on, is in the first-load bundle; every other page is its own chunk, loaded
// when first opened (`lazy`), so the first paint does not wait for the ERD, charts or SQL console.
import { lazy } from 'react'
import { registerPage } from '../registry.ts'
import './data-page.tsx'

registerPage({ path: 'query', title: 'Query', key: 'q', order: 20, component: lazy(() => import('./query-page.tsx')) })
registerPage({ path: 'sql', title: 'SQL', key: 's', order: 30, component: lazy(() => import('./sql-page.tsx')) })
registerPage({ path: 'erd', title: 'ERD', key: 'e', order: 40, component: lazy(() => import('./erd-page.tsx')) })
registerPage({ path: 'schema', title: 'Schema', key: 'm', order: 42, component: lazy(() => import('./schema-page.tsx')) })
registerPage({ path: 'policies', title: 'Policies', key: 'p', order: 45, component: lazy(() => import('./policies-page.tsx')) })
registerPage({ path: 'charts', title: 'Charts', key: 'c', order: 50, component: lazy(() => import('./charts-page.tsx')) })
// The admin dashboard (issue 18).
registerPage({ path: 'users', title: 'Users', key: 'u', order: 60, component: lazy(() => import('./users-page.tsx')) })
registerPage({ path: 'audit', title: 'Audit', key: 'a', order: 70, component: lazy(() => import('./audit-page.tsx')) })
registerPage({ path: 'logs', title: 'Logs', key: 'l', order: 80, component: lazy(() => import('./logs-page.tsx')) })
registerPage({ path: 'monitor', title: 'Monitor', key: 'n', order: 90, component: lazy(() => import('./monitor-page.tsx')) })
registerPage({ path: 'jobs', title: 'Jobs', key: 'j', order: 100, component: lazy(() => import('./jobs-page.tsx')) })
registerPage({ path: 'emails', title: 'Emails', key: 'i', order: 102, component: lazy(() => import('./emails-page.tsx')), probe: '/admin/emails?limit=1' })
registerPage({ path: 'webhooks', title: 'Webhooks', key: 'w', order: 104, component: lazy(() => import('./webhooks-page.tsx')), probe: '/admin/webhooks/deliveries?limit=1' })
registerPage({ path: 'functions', title: 'Functions', key: 'f', order: 106, component: lazy(() => import('./functions-page.tsx')), probe: '/admin/functions' })
registerPage({ path: 'config', title: 'Config', key: 'o', order: 110, component: lazy(() => import('./config-page.tsx')) })
registerPage({ path: 'cli-history', title: 'CLI history', key: 'h', order: 120, component: lazy(() => import('./cli-history-page.tsx')) })
