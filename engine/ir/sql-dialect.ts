import { quoteIdent } from '../shared/sql-text.ts'

/**
 * What a SQL printer over the IR needs to know about the database it prints for. SQLite is the
 * one served today; PostgreSQL is the planned scale-out dialect (ARCHITECTURE.md §7), so the
 * policy printer speaks through this interface and never writes dialect-specific text itself.
 *
 * @example
 * SQLITE_DIALECT.placeholder(0)   // '?'
 * POSTGRES_DIALECT.placeholder(0) // '$1'
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres'
  /** `tasks` → `"tasks"`. */
  quoteIdent(name: string): string
  /** The text of the `index`-th (0-based) bound parameter, for printing a statement as text. */
  placeholder(index: number): string
  /** A boolean constant in SQL text. */
  literal(value: boolean): string
  /** A boolean literal of a policy, as a bound parameter compares with a bool column. */
  boolParam(value: boolean): string | number
  /**
   * The caller's roles contain a role: the text around the roles parameter (a JSON array text)
   * and the role parameter, in that order, with `alias` free for the expression's own use.
   */
  rolesContain(alias: string): readonly [before: string, between: string, after: string]
}

/** SQLite: `?` placeholders, booleans stored as 0/1, roles read with `json_each`. */
export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  quoteIdent,
  placeholder: () => '?',
  literal: (value) => (value ? '1' : '0'),
  boolParam: (value) => (value ? 1 : 0),
  rolesContain: (alias) => [`EXISTS (SELECT 1 FROM json_each(`, `) ${quoteIdent(alias)} WHERE ${quoteIdent(alias)}."value" = `, ')'],
}

/** PostgreSQL (planned): `$n` placeholders, real booleans, roles read with `jsonb_array_elements_text`. */
export const POSTGRES_DIALECT: SqlDialect = {
  name: 'postgres',
  quoteIdent,
  placeholder: (index) => `$${index + 1}`,
  literal: (value) => (value ? 'TRUE' : 'FALSE'),
  boolParam: (value) => (value ? 'true' : 'false'),
  rolesContain: (alias) => [`EXISTS (SELECT 1 FROM jsonb_array_elements_text(`, `::jsonb) AS ${quoteIdent(alias)}("value") WHERE ${quoteIdent(alias)}."value" = `, ')'],
}
