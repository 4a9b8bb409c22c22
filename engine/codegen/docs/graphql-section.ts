import { parse, print, type FieldDefinitionNode, type ObjectTypeDefinitionNode } from 'graphql'
import { escapeHtml, inlineMarkdown, markdown } from './html.ts'

export const GRAPHQL_SECTION_ID = 'graphql-schema'

/**
 * The docs page's GraphQL section, printed from the SDL (generated/graphql/schema.graphql): the
 * Query and Mutation fields with their arguments, types and descriptions, then the whole schema.
 *
 * @example
 * graphqlSection(printGraphqlSdl(ir)) // '<section id="graphql-schema">…'
 */
export function graphqlSection(sdl: string): string {
  const document = parse(sdl, { noLocation: true })
  const roots = document.definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === 'ObjectTypeDefinition' && (d.name.value === 'Query' || d.name.value === 'Mutation'))
  return [
    `<section data-group id="${GRAPHQL_SECTION_ID}">`,
    '<h2>GraphQL schema</h2>',
    markdown(
      '`POST /graphql` serves the same tables as GraphQL, through the same policies: each caller reads and writes the rows the REST API gives them. ' +
        'A query is one read however many relations it nests; depth, aliases and estimated cost are limited before it runs, and every error carries `extensions.code`. ' +
        'GraphiQL is at `/graphiql` in `koyalite dev`.',
    ),
    ...roots.map((root) =>
      [
        `<h4>${escapeHtml(root.name.value)}</h4>`,
        '<div class="table-wrap"><table><thead><tr><th>Field</th><th>Returns</th><th>Description</th></tr></thead><tbody>',
        ...(root.fields ?? []).map(fieldRow),
        '</tbody></table></div>',
      ].join('\n'),
    ),
    `<details><summary>The whole schema (SDL)</summary><pre><code>${escapeHtml(sdl)}</code></pre></details>`,
    '</section>',
  ].join('\n')
}

function fieldRow(field: FieldDefinitionNode): string {
  const args = (field.arguments ?? []).map((a) => `${a.name.value}: ${print(a.type)}${a.defaultValue ? ` = ${print(a.defaultValue)}` : ''}`).join(', ')
  const signature = `${field.name.value}${args ? `(${args})` : ''}`
  return `<tr><td class="name"><code>${escapeHtml(signature)}</code></td><td><code>${escapeHtml(print(field.type))}</code></td><td class="desc">${inlineMarkdown(field.description?.value ?? '')}</td></tr>`
}
