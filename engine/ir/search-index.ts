import type { SearchTokenizer } from './project-ir.ts'

/**
 * Names and options of a table's full-text index, shared by the migration printer (which creates
 * it) and the runtime (which queries it). The `_koya_` prefix keeps them apart from application
 * tables, which cannot start with an underscore.
 */

/** `tasks` → `_koya_fts_tasks`, the FTS5 table (external content over `tasks`). */
export function searchIndexName(table: string): string {
  return `_koya_fts_${table}`
}

/** The triggers that keep the index in step with the table, by the write they follow. */
export function searchTriggerNames(table: string): { readonly insert: string; readonly update: string; readonly delete: string } {
  const base = searchIndexName(table)
  return { insert: `${base}_ai`, update: `${base}_au`, delete: `${base}_ad` }
}

/** FTS5's `tokenize` option for each tokenizer: diacritics are removed (`é` finds `e`) except by trigram. */
export const FTS5_TOKENIZE: Readonly<Record<SearchTokenizer, string>> = {
  unicode61: 'unicode61 remove_diacritics 2',
  porter: 'porter unicode61 remove_diacritics 2',
  trigram: 'trigram',
}

/** `tasks` → `_koya_vec_tasks`, the sqlite-vec `vec0` table of the rows' embeddings (by id). */
export function vectorIndexName(table: string): string {
  return `_koya_vec_${table}`
}
