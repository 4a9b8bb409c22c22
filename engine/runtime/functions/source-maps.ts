import path from 'node:path'

/**
 * Stack traces that name the user's files. A version's bundle (fn.js) comes with the source map
 * esbuild wrote beside generated/functions/<name>.js; its `sources` are relative to that place
 * (`../../functions/checkout.ts`). Deno maps stack frames through the map it finds by the
 * bundle's `sourceMappingURL`, resolving those sources relative to the version's directory, so
 * the map is written there with each source rewritten to `src/<path in the project>`. A frame
 * then reads `file://<version dir>/src/functions/checkout.ts:12:9`, which `cleanStack` turns into
 * `functions/checkout.ts:12:9`, dropping the frames of KoyaLite's own worker script.
 */

/** Where the sources of a version's map point, under its directory. */
const SOURCES_DIR = 'src'

/** The map to write in the version's directory: its sources as `src/<project path>`. */
export function relocateSourceMap(map: string, bundlePath: string): string {
  let parsed: { sources?: unknown; sourceRoot?: unknown }
  try {
    parsed = JSON.parse(map) as typeof parsed
  } catch {
    return map
  }
  if (!Array.isArray(parsed.sources)) return map
  const from = path.posix.dirname(bundlePath.split(path.sep).join('/'))
  const root = typeof parsed.sourceRoot === 'string' ? parsed.sourceRoot : ''
  const sources = parsed.sources.map((source: unknown) => {
    if (typeof source !== 'string' || /^[a-z][\w+.-]*:/i.test(source)) return source
    // Project-relative; a source outside the project keeps its path without the climb.
    const inProject = path.posix.normalize(path.posix.join(from, root, source)).replace(/^(\.\.\/)+/, '')
    return `${SOURCES_DIR}/${inProject}`
  })
  return JSON.stringify({ ...parsed, sourceRoot: undefined, sources })
}

/** Turns stack text from a worker of `versionDir` into one that names project files. */
export function stackCleaner(versionDir: string): (text: string) => string {
  const base = `file://${versionDir.split(path.sep).join('/')}/`
  const sources = `${base}${SOURCES_DIR}/`
  const internal = [`${base}user.js`, `${base}main.js`]
  return (text) => {
    if (!text.includes(base)) return text
    return text
      .split('\n')
      .filter((line) => !internal.some((script) => line.includes(script)))
      .join('\n')
      .replaceAll(sources, '')
      .replaceAll(base, '')
  }
}

/** The first frame of a stack that names a project file: `functions/checkout.ts:12:9`. */
export function userFrame(stack: string): string | undefined {
  for (const line of stack.split('\n')) {
    const match = /^\s+at (?:.*\()?([^\s():]+\.[cm]?[jt]sx?:\d+:\d+)\)?$/.exec(line)
    if (match !== null) return match[1]
  }
  return undefined
}
