import { KoyaError, type KoyaErrorCode, type SourceLocation } from '../shared/errors.ts'
import type { DefinitionLocations, TableLocations } from './definition-locations.ts'

/**
 * Collects problems while the IR is built, each at the most precise location known. The
 * builder never stops at the first problem: it reports them all at once.
 */
export class Problems {
  readonly errors: KoyaError[] = []
  readonly warnings: KoyaError[] = []
  /**
   * Tables whose definition is invalid, by name: a policy or a ref naming one is not reported as
   * naming an unknown table. Its own problem is the one to fix.
   */
  readonly brokenTables = new Set<string>()
  /** Errors that restate a TypeScript type error, when there is one in their file (see addShapeIssue). */
  readonly #shapeIssues = new Set<KoyaError>()

  constructor(readonly locations: DefinitionLocations) {}

  add(code: KoyaErrorCode, message: string, at: SourceLocation, hint?: string): void {
    this.errors.push(new KoyaError(code, message, hint === undefined ? { at } : { at, hint }))
  }

  /**
   * A value of the wrong shape, found by validating an imported definition. The DSL's types
   * describe the same shapes, so the type-check has reported the mistake already, with
   * TypeScript's own position, whenever it found an error in the same file.
   */
  addShapeIssue(code: KoyaErrorCode, message: string, at: SourceLocation, hint?: string): void {
    this.add(code, message, at, hint)
    this.#shapeIssues.add(this.errors.at(-1)!)
  }

  /**
   * The errors to report beside the type-check's: each mistake once. A shape issue in a file
   * the type-check found an error in is the same mistake seen again, and is left out.
   */
  errorsBeside(typeErrors: readonly { readonly at: SourceLocation | undefined }[]): KoyaError[] {
    const filesWithTypeErrors = new Set(typeErrors.flatMap((e) => (e.at === undefined ? [] : [e.at.file])))
    return this.errors.filter((error) => !(this.#shapeIssues.has(error) && error.at !== undefined && filesWithTypeErrors.has(error.at.file)))
  }

  /** A problem that does not stop generation: printed, then the build goes on. */
  warn(code: KoyaErrorCode, message: string, at: SourceLocation, hint?: string): void {
    this.warnings.push(new KoyaError(code, message, hint === undefined ? { at } : { at, hint }))
  }

  table(name: string, occurrence = 0): TableLocations | undefined {
    return this.locations.tables.get(name)?.[occurrence]
  }

  /** The table's declaration, else the config. */
  atTable(name: string, occurrence = 0): SourceLocation {
    return this.table(name, occurrence)?.at ?? this.locations.config
  }

  /**
   * The modifier's argument (`default`), or an option of it (`ref.onDelete`), else the nearest
   * of those found, else the column's property, else the table.
   */
  atColumn(table: string, column: string, modifier?: string): SourceLocation {
    const found = this.table(table)?.columns.get(column)
    if (!found) return this.atTable(table)
    return (modifier === undefined ? undefined : nearest(found.modifiers, modifier)) ?? found.at
  }

  /** defineConfig's property at a dotted path (`auth.session.idleTimeout`), else the nearest enclosing one, else the call. */
  atConfig(key?: string): SourceLocation {
    return (key === undefined ? undefined : nearest(this.locations.configKeys, key)) ?? this.locations.config
  }
}

/** The location of `a.b.c`, else of `a.b`, else of `a`. */
function nearest(locations: ReadonlyMap<string, SourceLocation>, path: string): SourceLocation | undefined {
  const parts = path.split('.')
  for (let length = parts.length; length > 0; length--) {
    const found = locations.get(parts.slice(0, length).join('.'))
    if (found) return found
  }
  return undefined
}
