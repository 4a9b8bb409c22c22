import { findSourceMap } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import type { SourceLocation } from '../shared/errors.ts'

/** The default export of the config module, or why importing it failed. */
export type ImportedDefinition =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string; readonly at: SourceLocation | undefined }

/** Import koyalite.ts (and what it imports) with tsx: a fresh module graph on every call. */
export async function importDefinition(root: string, configPath: string): Promise<ImportedDefinition> {
  try {
    const module = (await tsImport(pathToFileURL(configPath).href, import.meta.url)) as { default?: unknown }
    return { ok: true, value: module.default }
  } catch (cause) {
    // The first line names the problem; machine paths become project-relative ones.
    const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!.replaceAll(`${root}${path.sep}`, '').replaceAll(pathToFileURL(root).href + '/', '')
    return { ok: false, message, at: throwSite(root, cause) }
  }
}

/**
 * Where in the project's own files an import failed: the innermost stack frame under the root
 * and outside node_modules, as a position in the TypeScript source.
 */
function throwSite(root: string, cause: unknown): SourceLocation | undefined {
  const stack = cause instanceof Error && typeof cause.stack === 'string' ? cause.stack : ''
  for (const line of stack.split('\n')) {
    const frame = /^\s+at (?:.*\()?(.+?):(\d+):(\d+)\)?$/.exec(line)
    if (!frame) continue
    const site = sourcePosition(frame[1]!, Number(frame[2]), Number(frame[3]))
    // Frames such as `node:internal/…` or `<anonymous>` are not files.
    if (site === undefined || !path.isAbsolute(site.file)) continue
    const relative = path.relative(root, site.file).split(path.sep).join('/')
    if (relative.startsWith('../') || path.isAbsolute(relative) || relative.split('/').includes('node_modules')) continue
    return { file: relative, line: site.line, column: site.column }
  }
  return undefined
}

/**
 * A stack frame's position in the source file. Node prints frames it mapped through tsx's
 * source maps as plain paths; a frame still printed as the module's URL was not mapped (a test
 * runner or a library replaced Error.prepareStackTrace), so it is mapped here.
 */
function sourcePosition(where: string, line: number, column: number): { file: string; line: number; column: number } | undefined {
  if (!where.startsWith('file:')) return { file: where, line, column }
  const origin = findSourceMap(where)?.findOrigin(line, column)
  if (origin && 'fileName' in origin) return { file: filePathOf(origin.fileName), line: origin.lineNumber, column: origin.columnNumber }
  return { file: filePathOf(where), line, column }
}

function filePathOf(where: string): string {
  try {
    return where.startsWith('file:') ? fileURLToPath(where) : where
  } catch {
    return where
  }
}
