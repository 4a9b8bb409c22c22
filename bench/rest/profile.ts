import { readFileSync } from 'node:fs'
import path from 'node:path'

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfile {
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

export interface ProfileSummary {
  /** Sampled time in ms, idle excluded. */
  readonly busyMs: number
  /** Self time by area (a package, an engine folder, Node internals, GC, native code). */
  readonly areas: readonly { name: string; ms: number }[]
  /** Self time by function. */
  readonly self: readonly { name: string; ms: number }[]
  /** Time with the function on the stack (each function counted once per sample). */
  readonly total: readonly { name: string; ms: number }[]
}

/** Where a frame's code lives: `fastify`, `engine/runtime/data`, `node internals`, `(garbage collector)`… */
function areaOf(url: string, functionName: string, repo: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  if (url.startsWith('node:')) return 'node internals'
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url
  const modules = file.lastIndexOf('/node_modules/')
  if (modules !== -1) {
    const parts = file.slice(modules + '/node_modules/'.length).split('/')
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  const relative = path.relative(repo, file)
  if (relative.startsWith('..')) return file
  return path.dirname(relative)
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame'], repo: string): string {
  const name = frame.functionName || '(anonymous)'
  if (frame.url === '') return name
  const file = frame.url.startsWith('file://') ? decodeURIComponent(new URL(frame.url).pathname) : frame.url
  const modules = file.lastIndexOf('/node_modules/')
  const where = modules !== -1 ? file.slice(modules + '/node_modules/'.length) : path.relative(repo, file).startsWith('..') ? file : path.relative(repo, file)
  return `${name} (${where}:${frame.lineNumber + 1})`
}

/**
 * Summarize a .cpuprofile: self time by area and by function, and inclusive time by function.
 * Samples before the first HTTP request (`parserOnIncoming` on the stack) are left out, so
 * the server's start (module loading, route compilation) does not count.
 */
export function summarizeProfile(file: string, repo: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

  const areas = new Map<string, number>()
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us)
  const stackOf = (id: number) => {
    const frames: CpuProfile['nodes'][number][] = []
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at)!)
    return frames
  }
  const first = profile.samples.findIndex((id) => stackOf(id).some((n) => n.callFrame.functionName === 'parserOnIncoming'))
  let busy = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!
    const us = profile.timeDeltas[i] ?? 0
    if (i < first || node.callFrame.functionName === '(idle)') return
    busy += us
    add(areas, areaOf(node.callFrame.url, node.callFrame.functionName, repo), us)
    add(self, frameName(node.callFrame, repo), us)
    const seen = new Set<string>()
    for (const frame of stackOf(id)) {
      const name = frameName(frame.callFrame, repo)
      if (!seen.has(name)) add(total, name, us)
      seen.add(name)
    }
  })
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000 }))
  return { busyMs: busy / 1000, areas: ranked(areas), self: ranked(self), total: ranked(total).filter((f) => f.name !== '(root)') }
}

/** The summary as text: percentages of busy time. */
export function printProfileSummary(summary: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)}%`
  const list = (items: ProfileSummary['areas']) => items.map((i) => `  ${pct(i.ms)}  ${i.name}`).join('\n')
  return [
    `busy ${summary.busyMs.toFixed(0)} ms sampled from the first request on (idle excluded)`,
    '',
    'self time by area:',
    list(summary.areas),
    '',
    'self time by function:',
    list(summary.self),
    '',
    'total time (function on the stack):',
    list(summary.total),
  ].join('\n')
}
