import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { GeneratedFile } from '../shared/generated-file.ts'

export interface FileChange {
  readonly path: string
  /** `removed`: a file in generated/ that generate no longer writes (a dropped table's module). */
  readonly state: 'created' | 'changed' | 'removed'
}

/**
 * generated/ belongs to `koyalite generate`, except generated/migrations, which only grows
 * (applied migrations are history). Every other file there is one generate writes, or stale.
 */
const OWNED_ROOT = 'generated'
const APPEND_ONLY = 'generated/migrations'

function ownedFiles(root: string, dir = OWNED_ROOT): string[] {
  const full = path.join(root, dir)
  if (!existsSync(full)) return []
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`
    if (relative === APPEND_ONLY) return []
    return entry.isDirectory() ? ownedFiles(root, relative) : [relative]
  })
}

/** Which files differ from disk, and which owned files generate would no longer write. */
export function compareFiles(root: string, files: readonly GeneratedFile[]): FileChange[] {
  const changes: FileChange[] = []
  for (const file of files) {
    const target = path.join(root, file.path)
    if (!existsSync(target)) changes.push({ path: file.path, state: 'created' })
    else if (readFileSync(target, 'utf8') !== file.contents) changes.push({ path: file.path, state: 'changed' })
  }
  const written = new Set(files.map((f) => f.path))
  for (const stale of ownedFiles(root)) if (!written.has(stale)) changes.push({ path: stale, state: 'removed' })
  return changes
}

/**
 * The one writer of generated files. Each file is written to a temporary sibling and renamed
 * over the target, so a crash or a concurrent reader never sees half a file. Unchanged files
 * are left alone (their mtime too, so watchers stay quiet); stale owned files are removed.
 */
export function writeFiles(root: string, files: readonly GeneratedFile[]): FileChange[] {
  const changes = compareFiles(root, files)
  const byPath = new Map(files.map((f) => [f.path, f]))
  for (const change of changes) {
    const target = path.join(root, change.path)
    if (change.state === 'removed') {
      rmSync(target, { force: true })
      continue
    }
    mkdirSync(path.dirname(target), { recursive: true })
    const temp = `${target}.${process.pid}.tmp`
    writeFileSync(temp, byPath.get(change.path)!.contents)
    renameSync(temp, target)
  }
  return changes
}
