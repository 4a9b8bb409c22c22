// Builds Studio (studio/src) into dist/studio: one content-hashed script and stylesheet under
// assets/, and index.html naming them. Run by `npm run build` (decision 130: esbuild, already a
// dependency, rather than Vite). Deterministic: the same sources give the same files.
import { build } from 'esbuild'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
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
const files = readdirSync(path.join(out, 'assets'))
const script = files.find((f) => f.endsWith('.js'))
const style = files.find((f) => f.endsWith('.css'))
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KoyaLite Studio</title>
${style ? `<link rel="stylesheet" href="/_/assets/${style}">\n` : ''}<script type="module" src="/_/assets/${script}"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`
writeFileSync(path.join(out, 'index.html'), html)
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0)
if (process.env.KOYA_STUDIO_QUIET !== '1') console.log(`studio: ${files.join(', ')} (${Math.round(bytes / 1024)} KB) in ${Date.now() - started} ms`)
