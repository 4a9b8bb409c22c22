import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import type { GeneratedFile } from '../shared/generated-file.ts'

export interface FileChange {
  readonly path: string
  readonly state: 'created' | 'changed'
}

/** Which files differ from disk. */
export function compareFiles(root: string, files: readonly GeneratedFile[]): FileChange[] {
  const changes: FileChange[] = []
  for (const file of files) {
    const target = path.join(root, file.path)
    if (!existsSync(target)) changes.push({ path: file.path, state: 'created' })
    else if (readFileSync(target, 'utf8') !== file.contents) changes.push({ path: file.path, state: 'changed' })
  }
  return changes
}

/**
 * The one writer of generated files. Each file is written to a temporary sibling and renamed
 * over the target, so a crash or a concurrent reader never sees half a file. Unchanged files
 * are left alone (their mtime too, so watchers stay quiet).
 */
export function writeFiles(root: string, files: readonly GeneratedFile[]): FileChange[] {
  const changes = compareFiles(root, files)
  const changed = new Set(changes.map((c) => c.path))
  for (const file of files) {
    if (!changed.has(file.path)) continue
    const target = path.join(root, file.path)
    mkdirSync(path.dirname(target), { recursive: true })
    const temp = `${target}.${process.pid}.tmp`
    writeFileSync(temp, file.contents)
    renameSync(temp, target)
  }
  return changes
}
