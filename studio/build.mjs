// Builds Studio (studio/src) into dist/studio: one content-hashed script and stylesheet under
// assets/, and index.html naming them. Run by `npm run build` (decision 130: esbuild, already a
// dependency, rather than Vite). Deterministic: the same sources give the same files.
// Code-split: the entry holds the shell and the data browser; each other page is a chunk loaded
// when first opened. index.html preloads the entry's static imports; every script and stylesheet
// also gets a gzip twin (served when the browser accepts it). The first load (entry, its static
// chunks, the stylesheet) must stay under FIRST_LOAD_BUDGET gzipped, or the build fails.
import { build } from 'esbuild'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const out = path.join(here, '..', 'dist', 'studio')
rmSync(out, { recursive: true, force: true })
mkdirSync(path.join(out, 'assets'), { recursive: true })

const started = Date.now()
const result = await build({
  entryPoints: { studio: path.join(here, 'src', 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  target: 'es2022',
  jsx: 'automatic',
  outdir: path.join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
})
const FIRST_LOAD_BUDGET = 300 * 1024
const outputs = result.metafile.outputs
const nameOf = (file) => path.basename(file)
const entryFile = Object.keys(outputs).find((file) => outputs[file].entryPoint?.endsWith('main.tsx') && file.endsWith('.js'))
const script = nameOf(entryFile)
const style = nameOf(outputs[entryFile].cssBundle ?? '') || undefined
// The entry's static imports, transitively: loaded before anything runs, so preloaded at once.
const firstLoad = new Set([entryFile])
for (const file of firstLoad) for (const imported of outputs[file].imports) if (imported.kind === 'import-statement' && !imported.external) firstLoad.add(imported.path)
const chunks = [...firstLoad].slice(1).map(nameOf).sort()
const files = readdirSync(path.join(out, 'assets'))
for (const file of files) {
  const body = readFileSync(path.join(out, 'assets', file))
  writeFileSync(path.join(out, 'assets', `${file}.gz`), gzipSync(body, { level: 9 }))
}
const gzipped = (name) => gzipSync(readFileSync(path.join(out, 'assets', name)), { level: 9 }).length
const firstLoadBytes = [script, ...chunks, ...(style ? [style] : [])].reduce((sum, name) => sum + gzipped(name), 0)
if (firstLoadBytes > FIRST_LOAD_BUDGET) throw new Error(`Studio's first load is ${Math.round(firstLoadBytes / 1024)} KB gzipped, over the ${FIRST_LOAD_BUDGET / 1024} KB budget: split the new code out of the entry (a lazy page).`)
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KoyaLite Studio</title>
${style ? `<link rel="stylesheet" href="/_/assets/${style}">\n` : ''}${chunks.map((chunk) => `<link rel="modulepreload" href="/_/assets/${chunk}">\n`).join('')}<script type="module" src="/_/assets/${script}"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`
writeFileSync(path.join(out, 'index.html'), html)
const bytes = Object.values(outputs).reduce((sum, o) => sum + o.bytes, 0)
if (process.env.KOYA_STUDIO_QUIET !== '1') console.log(`studio: ${files.length} files (${Math.round(bytes / 1024)} KB), first load ${Math.round(firstLoadBytes / 1024)} KB gzipped, in ${Date.now() - started} ms`)
