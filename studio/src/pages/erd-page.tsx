import { useMemo, useRef, useState, type PointerEvent, type WheelEvent } from 'react'
import { hasPolicies, privacyLabelOf, type Table } from '../api.ts'
import { download } from '../files.ts'
import { type PageProps } from '../registry.ts'

const WIDTH = 250
const HEADER = 28
const LINE = 18
const GAP_X = 90
const GAP_Y = 36

interface Box { table: Table; x: number; y: number; height: number }

/** Columns of boxes by depth: a table sits right of every table it belongs to. */
function layout(tables: readonly Table[]): Box[] {
  const depth = new Map<string, number>()
  const depthOf = (t: Table, seen: Set<string>): number => {
    const known = depth.get(t.name)
    if (known !== undefined) return known
    if (seen.has(t.name)) return 0
    seen.add(t.name)
    const parents = t.relations.filter((r) => r.kind === 'belongsTo' && r.table !== t.name).map((r) => tables.find((x) => x.name === r.table)).filter((x): x is Table => x !== undefined)
    const d = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => depthOf(p, seen)))
    depth.set(t.name, d)
    return d
  }
  const columns = new Map<number, Table[]>()
  for (const t of tables) {
    const d = depthOf(t, new Set())
    columns.set(d, [...(columns.get(d) ?? []), t])
  }
  const boxes: Box[] = []
  for (const [d, list] of [...columns].sort((a, b) => a[0] - b[0])) {
    let y = 20
    for (const table of list) {
      const height = HEADER + LINE * (table.columns.length + (table.indexes.length > 0 ? 1 : 0)) + 8
      boxes.push({ table, x: 20 + d * (WIDTH + GAP_X), y, height })
      y += height + GAP_Y
    }
  }
  return boxes
}

function ErdPage({ meta }: PageProps) {
  const boxes = useMemo(() => layout(meta.tables), [meta.tables])
  const [view, setView] = useState({ x: 0, y: 0, scale: 1 })
  const drag = useRef<{ x: number; y: number } | null>(null)
  const svg = useRef<SVGSVGElement>(null)
  const width = Math.max(...boxes.map((b) => b.x + WIDTH)) + 40
  const height = Math.max(...boxes.map((b) => b.y + b.height)) + 40
  const byName = new Map(boxes.map((b) => [b.table.name, b]))
  const zoom = (factor: number) => setView((v) => ({ ...v, scale: Math.min(3, Math.max(0.3, v.scale * factor)) }))
  const edges = boxes.flatMap((box) => box.table.relations.filter((r) => r.kind === 'belongsTo').map((r) => {
    const target = byName.get(r.table)
    const row = box.table.columns.findIndex((c) => c.name === r.column)
    if (!target) return null
    const y1 = box.y + HEADER + LINE * row + LINE / 2 + 4
    const y2 = target.y + HEADER / 2
    const x1 = box.x
    const x2 = target.x + WIDTH
    const self = target === box
    const d = self ? `M${x1 + WIDTH},${y1} C${x1 + WIDTH + 40},${y1} ${x2 + 40},${y2} ${x2},${y2}` : `M${x1},${y1} C${x1 - 45},${y1} ${x2 + 45},${y2} ${x2},${y2}`
    return <path key={`${box.table.name}.${r.name}`} d={d} fill="none" stroke="#6b7f99" strokeWidth={1.5} markerEnd="url(#arrow)"><title>{`${box.table.name}.${r.column} → ${r.table}.id`}</title></path>
  }))
  const exportSvg = () => {
    const node = svg.current!.cloneNode(true) as SVGSVGElement
    node.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
    node.setAttribute('width', String(width))
    node.setAttribute('height', String(height))
    node.querySelector('g')!.removeAttribute('transform')
    download('erd.svg', 'image/svg+xml', new XMLSerializer().serializeToString(node))
  }
  return (
    <section className="content" aria-label="Entity relationship diagram">
      <div className="row">
        <h1>ERD</h1>
        <span className="muted">{boxes.length} tables · drag to pan, wheel or +/− to zoom</span>
        <span className="spacer" />
        <button type="button" aria-label="Zoom in" onClick={() => zoom(1.2)}>+</button>
        <button type="button" aria-label="Zoom out" onClick={() => zoom(1 / 1.2)}>−</button>
        <button type="button" onClick={() => setView({ x: 0, y: 0, scale: 1 })}>Reset</button>
        <button type="button" onClick={exportSvg}>Export SVG</button>
      </div>
      <svg ref={svg} className="erd" role="img" aria-label={`Diagram of ${boxes.length} tables`} viewBox={`0 0 ${width} ${height}`} tabIndex={0}
        onWheel={(e: WheelEvent) => zoom(e.deltaY < 0 ? 1.1 : 1 / 1.1)}
        onPointerDown={(e: PointerEvent) => { drag.current = { x: e.clientX - view.x, y: e.clientY - view.y } }}
        onPointerMove={(e: PointerEvent) => { if (drag.current) { const start = drag.current; setView((v) => ({ ...v, x: e.clientX - start.x, y: e.clientY - start.y })) } }}
        onPointerUp={() => { drag.current = null }} onPointerLeave={() => { drag.current = null }}
        onKeyDown={(e) => {
          const step = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] }[e.key]
          if (step) { e.preventDefault(); setView((v) => ({ ...v, x: v.x + step[0]!, y: v.y + step[1]! })) }
          if (e.key === '+' || e.key === '=') zoom(1.2)
          if (e.key === '-') zoom(1 / 1.2)
        }}>
        <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7f99" /></marker></defs>
        <g transform={`translate(${view.x} ${view.y}) scale(${view.scale})`}>
          {edges}
          {boxes.map((box) => (
            <g key={box.table.name} data-table={box.table.name} transform={`translate(${box.x} ${box.y})`}>
              <rect width={WIDTH} height={box.height} rx={6} fill="#ffffff" stroke="#4a5d78" />
              <rect width={WIDTH} height={HEADER} rx={6} fill="#2c4a73" />
              <text x={10} y={19} fill="#ffffff" fontWeight="bold" fontSize={13} fontFamily="sans-serif">{box.table.name}</text>
              {hasPolicies(box.table) ? <text x={WIDTH - 10} y={19} fill="#c8f0c8" fontSize={11} textAnchor="end" fontFamily="sans-serif">policies</text> : <text x={WIDTH - 10} y={19} fill="#ffd7a8" fontSize={11} textAnchor="end" fontFamily="sans-serif">service key only</text>}
              {box.table.columns.map((c, i) => (
                <g key={c.name} transform={`translate(0 ${HEADER + LINE * i + 4})`} {...(privacyLabelOf(c) !== '' ? { 'data-privacy': privacyLabelOf(c) } : {})}>
                  <text x={10} y={13} fontSize={12} fill="#1b2430" fontFamily="monospace">{c.name === 'id' ? '# ' : c.references ? '→ ' : ''}{c.name}{c.nullable ? '?' : ''}</text>
                  <text x={WIDTH - 10} y={13} fontSize={11} fill="#4a5568" textAnchor="end" fontFamily="monospace">{c.type === 'enum' ? `enum(${(c.values ?? []).length})` : c.type}{c.unique ? ' unique' : ''}{privacyLabelOf(c) !== '' ? ` ${privacyLabelOf(c)}` : ''}</text>
                </g>
              ))}
              {box.table.indexes.length > 0 ? <text x={10} y={HEADER + LINE * box.table.columns.length + 17} fontSize={10} fill="#4a5568" fontFamily="sans-serif">{`indexes: ${box.table.indexes.map((ix) => `${ix.unique ? 'unique ' : ''}(${ix.columns.join(', ')})`).join('; ')}`.slice(0, 48)}<title>{box.table.indexes.map((ix) => `${ix.name}: ${ix.unique ? 'unique ' : ''}(${ix.columns.join(', ')})`).join('\n')}</title></text> : null}
            </g>
          ))}
        </g>
      </svg>
    </section>
  )
}

export default ErdPage
