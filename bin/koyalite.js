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

const { main } = await import('../dist/engine/cli/main.js')
process.exitCode = await main(process.argv.slice(2))
