#!/usr/bin/env node
// The `koyalite` command. The engine is compiled to dist/ (`npm run build`, run on install).
import module from 'node:module'

// Cache V8 bytecode of what the CLI loads (TypeScript alone is ~9 MB of JavaScript):
// later runs skip most of the parse. Opt out with NODE_DISABLE_COMPILE_CACHE=1.
module.enableCompileCache?.()

const { main } = await import('../dist/engine/cli/main.js')
process.exitCode = await main(process.argv.slice(2))
