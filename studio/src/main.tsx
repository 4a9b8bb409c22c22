import { createRoot } from 'react-dom/client'
import './styles.css'
import './pages/index.ts'
import { Shell } from './shell.tsx'

createRoot(document.getElementById('root')!).render(<Shell />)
