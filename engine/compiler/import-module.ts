import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'

/**
 * Import a project's TypeScript module (a seed file) with tsx: the one place besides the
 * definition's import that loads the toolchain, so the CLI stays free of it.
 *
 * @example
 * const { default: seed } = await importProjectModule('/app/seed/demo.ts')
 */
export async function importProjectModule(file: string): Promise<{ readonly default?: unknown }> {
  return (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown }
}
