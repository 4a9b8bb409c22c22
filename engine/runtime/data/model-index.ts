import type { ColumnIR, ProjectIR, RelationIR, TableIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'

/** A table with its columns and relations indexed by name: built once at boot. */
export interface IndexedTable {
  readonly ir: TableIR
  readonly name: string
  readonly columns: ReadonlyMap<string, ColumnIR>
  readonly relations: ReadonlyMap<string, RelationIR>
  /** The `updatedAt` column, which every update and merging upsert sets. */
  readonly updatedAt: ColumnIR | undefined
  /** The length of its vectors when it has a vector index (`search.semantic` and `embeddings` configured). */
  readonly vectorDimensions: number | undefined
}

export interface ModelIndex {
  readonly tables: ReadonlyMap<string, IndexedTable>
  table(name: string): IndexedTable
}

export function indexModel(model: ProjectIR): ModelIndex {
  const tables = new Map<string, IndexedTable>(
    model.tables.map((table) => [
      table.name,
      {
        ir: table,
        name: table.name,
        columns: new Map(table.columns.map((c) => [c.name, c])),
        relations: new Map(table.relations.map((r) => [r.name, r])),
        updatedAt: table.columns.find((c) => c.type === 'updatedAt'),
        vectorDimensions: model.embeddings && (table.search?.semantic.length ?? 0) > 0 ? model.embeddings.dimensions : undefined,
      },
    ]),
  )
  return {
    tables,
    table(name) {
      const found = tables.get(name)
      if (!found) throw new KoyaError('KL_API_NOT_FOUND', `There is no table "${name}".`)
      return found
    },
  }
}

export function columnOf(table: IndexedTable, name: string, where: string): ColumnIR {
  const column = table.columns.get(name)
  if (column) return column
  throw new KoyaError('KL_API_UNKNOWN_COLUMN', `${where}: table "${table.name}" has no column "${name}".`, {
    hint: `Columns of "${table.name}": ${[...table.columns.keys()].join(', ')}.`,
  })
}

export function relationOf(table: IndexedTable, name: string): RelationIR {
  const relation = table.relations.get(name)
  if (relation) return relation
  throw new KoyaError('KL_API_UNKNOWN_RELATION', `Table "${table.name}" has no relation "${name}" to embed.`, {
    hint: table.relations.size > 0 ? `Relations of "${table.name}": ${[...table.relations.keys()].join(', ')}.` : `"${table.name}" has no relations.`,
  })
}
