// A build of KoyaLite without the tracing module, for bench/rest/observability.ts's baseline:
// loaded with `node --import ./bench/rest/without-tracing.mjs …`, it removes the module from
// FEATURE_MODULES as dist/ is loaded (no file is changed). It refuses to run when the list no
// longer reads as expected, so the benchmark cannot silently compare a build with itself.
import { registerHooks } from 'node:module'

const MODULES = '/dist/engine/runtime/modules/index.js'
const IMPORT = /^import \{ tracingModule \} from "\.\.\/observability\/tracing-module\.js";$/m
const ENTRY = /^\s*tracing: tracingModule,$/m

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context)
    if (!url.endsWith(MODULES)) return loaded
    const source = String(loaded.source)
    if (!IMPORT.test(source) || !ENTRY.test(source)) throw new Error(`without-tracing.mjs: ${MODULES} no longer lists the tracing module as \`tracing: tracingModule\`; update the hook`)
    const stripped = source.replace(IMPORT, '').replace(ENTRY, '')
    if (stripped.includes('tracingModule')) throw new Error(`without-tracing.mjs: ${MODULES} still names tracingModule after the rewrite`)
    return { ...loaded, source: stripped }
  },
})
