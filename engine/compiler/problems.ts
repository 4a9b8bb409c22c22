import { KoyaError, type KoyaErrorCode, type SourceLocation } from '../shared/errors.ts'
import type { DefinitionLocations, TableLocations } from './definition-locations.ts'

/**
 * Collects problems while the IR is built, each at the most precise location known. The
 * builder never stops at the first problem: it reports them all at once.
 */
export class Problems {
  readonly errors: KoyaError[] = []
  readonly warnings: KoyaError[] = []

  constructor(readonly locations: DefinitionLocations) {}

  add(code: KoyaErrorCode, message: string, at: SourceLocation, hint?: string): void {
    this.errors.push(new KoyaError(code, message, hint === undefined ? { at } : { at, hint }))
  }

  table(name: string, occurrence = 0): TableLocations | undefined {
    return this.locations.tables.get(name)?.[occurrence]
  }

  /** The table's declaration, else the config. */
  atTable(name: string, occurrence = 0): SourceLocation {
    return this.table(name, occurrence)?.at ?? this.locations.config
  }

  /** The column's property, else the table. */
  atColumn(table: string, column: string, modifier?: string): SourceLocation {
    const found = this.table(table)?.columns.get(column)
    if (found && modifier !== undefined) return found.modifiers.get(modifier) ?? found.at
    return found?.at ?? this.atTable(table)
  }

  atConfig(key?: string): SourceLocation {
    return (key === undefined ? undefined : this.locations.configKeys.get(key)) ?? this.locations.config
  }
}
