#!/usr/bin/env node
// The `koyalite` command. The engine is compiled to dist/ (`npm run build`, run on install).
import module from 'node:module'

// Cache V8 bytecode of what the CLI loads (TypeScript alone is ~9 MB of JavaScript):
// later runs skip most of the parse. Opt out with NODE_DISABLE_COMPILE_CACHE=1.
module.enableCompileCache?.()

// `koyalite start` serves for hours: V8's young generation, left to grow to its default maximum,
// holds tens of MB a server never needs between requests. The server re-executes itself (same
// pid, same stdio) with it capped, unless the operator set the flag themselves (decision 87).
// process.execve is Node 24's; on an older Node the server starts uncapped.
const YOUNG_GENERATION = '--max-semi-space-size'
if (
  process.argv[2] === 'start' &&
  typeof process.execve === 'function' &&
  process.env.KOYA_V8_DEFAULTS !== '0' &&
  !process.execArgv.some((flag) => flag.startsWith(YOUNG_GENERATION)) &&
  !(process.env.NODE_OPTIONS ?? '').includes(YOUNG_GENERATION)
) {
  process.execve(process.execPath, [process.execPath, `${YOUNG_GENERATION}=8`, ...process.execArgv, ...process.argv.slice(1)], process.env)
}

// Under load the old generation grew to about twice what survives a full collection before V8
// collected it (live ~45 MB, heap ~90 MB). A 20 % growing factor keeps the peak near the live
// size for a few more mark-compacts (~8 ms each, a few per second at most; decision 178). Set
// at run time, so an unknown flag on a later Node is ignored rather than fatal.
const HEAP_GROWING = '--heap-growing-percent'
if (
  process.argv[2] === 'start' &&
  process.env.KOYA_V8_DEFAULTS !== '0' &&
  !process.execArgv.some((flag) => flag.startsWith(HEAP_GROWING)) &&
  !(process.env.NODE_OPTIONS ?? '').includes(HEAP_GROWING)
) {
  const v8 = await import('node:v8')
  v8.setFlagsFromString(`${HEAP_GROWING}=20`)
}

const { main } = await import('../dist/engine/cli/main.js')
process.exitCode = await main(process.argv.slice(2))
