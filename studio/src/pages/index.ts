// Every page of Studio: one import each (the registry orders them).
import './data-page.tsx'
import './query-page.tsx'
import './sql-page.tsx'
import './erd-page.tsx'
import './charts-page.tsx'
import './schema-page.tsx'
import './policies-page.tsx'
