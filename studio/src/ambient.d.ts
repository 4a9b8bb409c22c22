// react-dom ships no types and @types/react-dom is not a dependency: the one entry Studio uses.
declare module 'react-dom/client' {
  import type { ReactNode } from 'react'
  export function createRoot(container: Element): { render(node: ReactNode): void; unmount(): void }
}
declare module '*.css'
