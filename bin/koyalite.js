#!/usr/bin/env node
// The `koyalite` command. The engine is compiled to dist/ (`npm run build`, run on install).
import { main } from '../dist/engine/cli/main.js'

process.exitCode = await main(process.argv.slice(2))
