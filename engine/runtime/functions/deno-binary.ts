import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/**
 * The Deno executable: KOYA_DENO_PATH when set, else the binary the `deno` npm package installs
 * for this platform (`@deno/<os>-<arch>[-glibc]`), else `deno` on the PATH.
 *
 * @example
 * denoBinary(process.env) // '/app/node_modules/@deno/linux-x64-glibc/deno'
 */
export function denoBinary(env: Readonly<Record<string, string | undefined>>): string {
  const configured = env.KOYA_DENO_PATH
  if (configured !== undefined && configured !== '') return configured
  const require = createRequire(import.meta.url)
  const name = process.platform === 'win32' ? 'deno.exe' : 'deno'
  const os = process.platform === 'win32' ? 'win32' : process.platform
  for (const target of [`${os}-${process.arch}-glibc`, `${os}-${process.arch}-musl`, `${os}-${process.arch}`]) {
    try {
      const file = path.join(path.dirname(require.resolve(`@deno/${target}/package.json`)), name)
      if (existsSync(file)) return file
    } catch {
      // Not this platform's package.
    }
  }
  try {
    const file = path.join(path.dirname(require.resolve('deno/package.json')), name)
    if (existsSync(file)) return file
  } catch {
    // The package is not installed.
  }
  return 'deno'
}
