/**
 * The few HTML helpers the docs page needs. Every piece of text that reaches the page goes
 * through `escapeHtml` (or `markdown`, which escapes first): table, column and enum names, the
 * app name, defaults and JSON schemas all come from user definitions.
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/**
 * The small Markdown subset the OpenAPI descriptions use: paragraphs split by a blank line and
 * `code` spans. Escapes first, so a backtick span cannot smuggle markup in.
 *
 * @example
 * markdown('Filter with `a<b`') // '<p>Filter with <code>a&lt;b</code></p>'
 */
export function markdown(text: string): string {
  return text
    .split(/\n{2,}/)
    .filter((p) => p.trim() !== '')
    .map((p) => `<p>${inlineMarkdown(p)}</p>`)
    .join('')
}

/** `markdown` without the paragraph: for table cells and one-line texts. */
export function inlineMarkdown(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>')
}

/**
 * An element id (and `#fragment`) made from a name: letters, digits, `_` and `-` stay, every
 * other character becomes `.<hex>.`, so distinct names give distinct ids and no id holds a space
 * or a quote.
 */
export function anchor(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, (c) => `.${c.codePointAt(0)!.toString(16)}.`)}`
}

/** An HTML comment's text: escaped, and without `--`, which may not appear inside one. */
export function commentText(text: string): string {
  return escapeHtml(text).replace(/--/g, '- -')
}
