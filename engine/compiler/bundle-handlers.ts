import path from 'node:path'
import { build, type BuildOptions, type Message } from 'esbuild'
import { EMAIL_TEMPLATES_BUNDLE_PATH, HANDLERS_BUNDLE_PATH, type FunctionIR, type ProjectIR } from '../ir/project-ir.ts'
import { KoyaError, KoyaErrorList } from '../shared/errors.ts'
import { banner, type GeneratedFile } from '../shared/generated-file.ts'

/**
 * User code (jobs' `run`, webhooks' `filter`/`transform`, functions) bundled with esbuild into
 * plain JavaScript under generated/, each bundle with a linked source map, so the runtime never
 * loads tsx or the TypeScript compiler and stack traces still name the user's file:line.
 *
 * Deterministic: esbuild runs with the project root as its working directory and the output as
 * its target, so every path it writes (module comments, source map `sources`) is relative; the
 * maps carry no `sourcesContent` (the sources are committed beside them). Package imports
 * (`zod`, `koyalite`, `npm:stripe`) stay imports, resolved where the bundle runs.
 */

export interface BundleHandlersOptions {
  /** The project root (absolute). */
  readonly root: string
  /** The config file, relative to root: the handlers bundle imports its default export. */
  readonly configFile: string
  readonly ir: ProjectIR
}

/** Options both kinds of bundle share: what keeps the output the same bytes on every machine. */
function commonOptions(root: string, source: string): BuildOptions {
  return {
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'silent',
    charset: 'utf8',
    banner: { js: banner(source).trimEnd() },
  }
}

/**
 * generated/handlers/index.js (+ .map) when the project has jobs or webhook filters/transforms,
 * and generated/functions/<name>.js (+ .map) per function.
 *
 * @throws KoyaErrorList of KL_DEF_BUNDLE errors at the file:line:col esbuild names.
 */
export async function bundleHandlers(options: BundleHandlersOptions): Promise<GeneratedFile[]> {
  const root = path.resolve(options.root)
  const functions = options.ir.functions ?? []
  const results = await Promise.allSettled([bundleHandlerTable(root, options.configFile, options.ir), bundleEmailTemplates(root, options.configFile, options.ir), ...functions.map((fn) => bundleFunction(root, fn))])
  const what = ['the jobs and webhooks', 'the email templates', ...functions.map((fn) => `function "${fn.name}"`)]
  const errors = results.flatMap((result, i) => (result.status === 'rejected' ? bundleErrors(root, what[i]!, result.reason) : []))
  if (errors.length > 0) throw new KoyaErrorList(errors)
  return results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []))
}

/** The virtual entry: the config's default export, reduced to the handler tables the runtime calls. */
export function handlersEntry(configFile: string, ir: ProjectIR): string | undefined {
  const jobs = ir.jobs ?? []
  const webhooks = (ir.webhooks ?? []).filter((w) => w.hasFilter || w.hasTransform)
  if (jobs.length === 0 && webhooks.length === 0) return undefined
  const key = JSON.stringify
  const lines = [`import config from ${key(`./${configFile}`)}`, '', 'export const jobs = Object.freeze({']
  for (const job of jobs) lines.push(`  ${key(job.name)}: config.jobs[${key(job.name)}].run,`)
  lines.push('})', '', 'export const webhooks = Object.freeze({')
  for (const webhook of webhooks) {
    const parts = [webhook.hasFilter ? `filter: config.webhooks[${key(webhook.name)}].filter` : '', webhook.hasTransform ? `transform: config.webhooks[${key(webhook.name)}].transform` : ''].filter((p) => p !== '')
    lines.push(`  ${key(webhook.name)}: Object.freeze({ ${parts.join(', ')} }),`)
  }
  lines.push('})', '')
  // Only when a job has a schema, so the bundles of apps without one stay as they were.
  const typed = jobs.filter((job) => job.payload !== undefined)
  if (typed.length > 0) {
    lines.push('export const payloads = Object.freeze({')
    for (const job of typed) lines.push(`  ${key(job.name)}: config.jobs[${key(job.name)}].payload,`)
    lines.push('})', '')
  }
  return lines.join('\n')
}

async function bundleHandlerTable(root: string, configFile: string, ir: ProjectIR): Promise<GeneratedFile[]> {
  const contents = handlersEntry(configFile, ir)
  if (contents === undefined) return []
  const result = await build({
    ...commonOptions(root, configFile),
    // The entry lives nowhere on disk; it is named as a sibling of the bundle so the map lists it as `handlers-entry.js`.
    stdin: { contents, resolveDir: root, sourcefile: 'generated/handlers/handlers-entry.js', loader: 'js' },
    platform: 'node',
    target: 'node22',
    outfile: path.join(root, HANDLERS_BUNDLE_PATH),
  })
  return outputFiles(root, result.outputFiles)
}

/**
 * The app's email templates (email.templates) as one ES module for Node: `templates`, each
 * template's default export by name. JSX is compiled with the automatic runtime (react/jsx-runtime
 * stays an import, like every package), so the runtime renders them without TypeScript.
 */
async function bundleEmailTemplates(root: string, configFile: string, ir: ProjectIR): Promise<GeneratedFile[]> {
  const templates = ir.email?.templates ?? []
  if (templates.length === 0) return []
  const key = JSON.stringify
  const contents = [
    ...templates.map((template, i) => `import * as template${i} from ${key(`./${template.file}`)}`),
    '',
    'export const templates = Object.freeze({',
    ...templates.map((template, i) => `  ${key(template.name)}: template${i}.default,`),
    '})',
    '',
  ].join('\n')
  const result = await build({
    ...commonOptions(root, configFile),
    stdin: { contents, resolveDir: root, sourcefile: 'generated/emails/templates-entry.js', loader: 'js' },
    platform: 'node',
    target: 'node22',
    jsx: 'automatic',
    outfile: path.join(root, EMAIL_TEMPLATES_BUNDLE_PATH),
  })
  return outputFiles(root, result.outputFiles)
}

/** One function for Deno: platform-neutral ESM; `npm:`, `jsr:`, URL and package imports stay imports. */
export async function bundleFunction(root: string, fn: FunctionIR): Promise<GeneratedFile[]> {
  const result = await build({
    ...commonOptions(root, fn.file),
    entryPoints: [path.join(root, fn.file)],
    platform: 'neutral',
    target: 'esnext',
    external: ['npm:*', 'jsr:*', 'node:*', 'http:*', 'https:*'],
    outfile: path.join(root, fn.bundle),
  })
  return outputFiles(root, result.outputFiles)
}

function outputFiles(root: string, files: readonly { path: string; text: string }[] | undefined): GeneratedFile[] {
  return (files ?? [])
    .map((file) => ({ path: path.relative(root, file.path).split(path.sep).join('/'), contents: file.path.endsWith('.map') ? `${file.text.trimEnd()}\n` : file.text }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** esbuild's failure as KoyaErrors at the user's file:line:col (esbuild's columns are 0-based). */
function bundleErrors(root: string, what: string, reason: unknown): KoyaError[] {
  const messages = (reason as { errors?: readonly Message[] } | undefined)?.errors
  if (!Array.isArray(messages) || messages.length === 0) {
    return [new KoyaError('KL_DEF_BUNDLE', `Bundling ${what} failed: ${reason instanceof Error ? reason.message.split('\n')[0] : String(reason)}.`)]
  }
  return messages.map((message) => {
    const file = message.location?.file
    const at = file === undefined || file.startsWith('generated/') ? undefined : { file: path.relative(root, path.resolve(root, file)).split(path.sep).join('/'), line: message.location!.line, column: message.location!.column + 1 }
    return new KoyaError('KL_DEF_BUNDLE', `Bundling ${what} failed: ${message.text.replaceAll(root + path.sep, '')}.`, at === undefined ? {} : { at })
  })
}
