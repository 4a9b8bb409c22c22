/**
 * A unified diff of two texts by lines (longest common subsequence; the files Studio edits are
 * a few hundred lines at most), with `context` lines around each change.
 *
 * @example
 * unifiedDiff('schema/tasks.ts', 'a\nb\n', 'a\nc\n') // '--- a/schema/tasks.ts\n+++ b/schema/tasks.ts\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n'
 */
export function unifiedDiff(file: string, before: string | null, after: string, context = 3): string {
  const a = before === null ? [] : splitLines(before)
  const b = splitLines(after)
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1))
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  const ops: { kind: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', line: a[i++]!, ai: i, bi: ++j })
    else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: '-', line: a[i++]!, ai: i, bi: j })
    else ops.push({ kind: '+', line: b[j++]!, ai: i, bi: j })
  }
  const out = [`--- ${before === null ? '/dev/null' : `a/${file}`}`, `+++ b/${file}`]
  // A line belongs to a hunk when a change is within `context` lines of it.
  const near = ops.map((_, at) => ops.slice(Math.max(0, at - context), at + context + 1).some((o) => o.kind !== ' '))
  let k = 0
  while (k < ops.length) {
    if (!near[k]) {
      k++
      continue
    }
    let end = k
    while (end < ops.length && near[end]) end++
    const hunk = ops.slice(k, end)
    const aLines = hunk.filter((o) => o.kind !== '+')
    const bLines = hunk.filter((o) => o.kind !== '-')
    out.push(`@@ -${aLines[0]?.ai ?? hunk[0]!.ai},${aLines.length} +${bLines[0]?.bi ?? hunk[0]!.bi},${bLines.length} @@`)
    for (const o of hunk) out.push(`${o.kind}${o.line}`)
    k = end
  }
  return out.join('\n') + '\n'
}

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}
