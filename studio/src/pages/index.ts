// Every page of Studio: one import each (the registry orders them).
import './data-page.tsx'
import './query-page.tsx'
import './sql-page.tsx'
import './erd-page.tsx'
import './charts-page.tsx'
import './schema-page.tsx'
import './policies-page.tsx'
// The admin dashboard (issue 18).
import './users-page.tsx'
import './audit-page.tsx'
import './logs-page.tsx'
import './monitor-page.tsx'
import './jobs-page.tsx'
