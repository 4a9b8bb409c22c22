/**
 * A parser of the Prometheus text exposition format (version 0.0.4), for tests: a scanner over
 * the characters, as the format's grammar reads (metric name, `{` label="escaped value", … `}`,
 * value, optional timestamp; `# HELP` and `# TYPE` lines), failing on anything else. Samples are
 * grouped into families by their TYPE line (a histogram's `_bucket`, `_sum`, `_count` belong to
 * it). parse-prometheus-text-format loses the labels of labelled histograms, so it is not used.
 */

export interface PromSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface PromFamily {
  readonly name: string
  readonly type: string
  readonly help: string
  readonly samples: PromSample[]
}

export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>()
  const familyOf = (name: string): PromFamily => {
    let found = families.get(name)
    if (found === undefined) {
      found = { name, type: 'untyped', help: '', samples: [] }
      families.set(name, found)
    }
    return found
  }
  const lines = text.split('\n')
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const [, keyword, name, ...rest] = line.split(' ')
      if (keyword === 'HELP') Object.assign(familyOf(name!), { help: rest.join(' ') })
      else if (keyword === 'TYPE') Object.assign(familyOf(name!), { type: rest[0]! })
      continue
    }
    const sample = parseSample(line, n + 1)
    const base = [sample.name, sample.name.replace(/_(bucket|sum|count|total)$/, '')].find((candidate) => families.has(candidate)) ?? sample.name
    familyOf(base).samples.push(sample)
  }
  return families
}

function parseSample(line: string, lineNumber: number): PromSample {
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`line ${lineNumber}, column ${i + 1}: ${why}: ${line}`)
  }
  const nameAt = (first: RegExp, rest: RegExp) => {
    const start = i
    if (!first.test(line[i] ?? '')) fail('a name was expected')
    while (i < line.length && rest.test(line[i]!)) i++
    return line.slice(start, i)
  }
  const name = nameAt(/[a-zA-Z_:]/, /[a-zA-Z0-9_:]/)
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    while (line[i] !== '}') {
      const label = nameAt(/[a-zA-Z_]/, /[a-zA-Z0-9_]/)
      if (line[i++] !== '=' || line[i++] !== '"') fail('="…" was expected')
      let value = ''
      while (line[i] !== '"') {
        if (i >= line.length) fail('an unterminated label value')
        if (line[i] === '\\') {
          const next = line[i + 1]
          value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : fail('an unknown escape')
          i += 2
        } else value += line[i++]
      }
      i++
      labels[label] = value
      if (line[i] === ',') i++
      else if (line[i] !== '}') fail('"," or "}" was expected')
    }
    i++
  }
  if (line[i++] !== ' ') fail('a space was expected')
  const [valueText, timestamp, extra] = line.slice(i).split(' ')
  if (extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) fail('value [timestamp] was expected')
  // Prometheus reads values with Go's ParseFloat: `NaN`, `+Inf`, `-Inf` in any case (prom-client writes `Nan`).
  const special = valueText?.toLowerCase()
  const value = special === '+inf' || special === 'inf' ? Infinity : special === '-inf' ? -Infinity : special === 'nan' ? NaN : Number(valueText)
  if (valueText === undefined || valueText === '' || (Number.isNaN(value) && special !== 'nan')) fail('a number was expected')
  return { name, labels, value }
}
