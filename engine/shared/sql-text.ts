/** Quoting for the few SQL texts that are printed, not bound: DDL in migration files, policy SQL the compiler prints. */

/** `tasks` → `"tasks"`; embedded quotes are doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** `it's` → `'it''s'`. Only for DDL (defaults, CHECK lists); data always goes in bound parameters. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}
