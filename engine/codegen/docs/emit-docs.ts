import { KoyaError } from '../../shared/errors.ts'
import type { Generator } from '../generator.ts'
import { HTTP_METHODS, type HttpMethod, type MediaTypeObject, type OpenApiDocument, type OperationObject, type ParameterObject, type Reference, type ResponseObject } from '../openapi/openapi-types.ts'
import { GRAPHQL_SECTION_ID, graphqlSection } from './graphql-section.ts'
import { anchor, commentText, escapeHtml, inlineMarkdown, markdown } from './html.ts'
import { PAGE_CSP, PAGE_SCRIPT, PAGE_STYLE } from './page-assets.ts'
import { constraintsOf, referencedSchemas, schemaTable, typeLabel } from './render-schema.ts'

/**
 * generated/docs/index.html: the API reference, one self-contained page read offline. It is
 * printed from the OpenAPI document the pipeline built for generated/openapi.json, so the two
 * cannot disagree.
 */
export const docsGenerator: Generator<'openapi' | 'graphqlSdl'> = {
  name: 'docs',
  generate: ({ openapi, graphqlSdl }) => [{ path: 'generated/docs/index.html', contents: renderDocsPage(openapi, openapi.paths['/graphql'] ? graphqlSdl : undefined) }],
}

interface Endpoint {
  readonly path: string
  readonly method: HttpMethod
  readonly operation: OperationObject
}

/**
 * The page for an OpenAPI document: a sidebar of tags (one per table) and their operations, an
 * overview, each operation with its parameters, body and responses, each table's schemas, errors.
 *
 * @example
 * writeFileSync('index.html', renderDocsPage(buildOpenApiDocument(ir, 'koyalite.ts')))
 */
export function renderDocsPage(doc: OpenApiDocument, graphqlSdl?: string): string {
  const endpoints = Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => (item[method] === undefined ? [] : [{ path, method, operation: item[method] }])),
  )
  const groups = doc.tags.map((tag) => ({ tag, endpoints: endpoints.filter((e) => e.operation.tags[0] === tag.name) }))
  const title = `${doc.info.title} API reference`
  return [
    `<!-- ${commentText(doc['x-generated-by'])} -->`,
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(PAGE_CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<div class="layout">',
    '<aside class="sidebar">',
    `<div class="brand">${escapeHtml(doc.info.title)}<small>API reference · version ${escapeHtml(doc.info.version)}</small></div>`,
    '<input id="filter" type="search" placeholder="Filter operations…" aria-label="Filter operations" autocomplete="off" hidden>',
    '<nav>',
    '<a href="#overview">Overview</a>',
    ...groups.map(
      ({ tag, endpoints: items }) =>
        `<div class="nav-group" data-group><a href="#${anchor('tag', tag.name)}">${escapeHtml(tag.name)}</a><ul>` +
        items.map((e) => `<li data-search="${searchText(e, tag.name)}"><a href="#${anchor('op', e.operation.operationId)}">${methodBadge(e.method)}<span>${escapeHtml(e.operation.summary)}</span></a></li>`).join('') +
        '</ul></div>',
    ),
    graphqlSdl === undefined ? '' : `<div class="nav-group"><a href="#${GRAPHQL_SECTION_ID}">GraphQL schema</a></div>`,
    '<div class="nav-group"><a href="#errors">Errors</a></div>',
    '</nav>',
    '</aside>',
    '<main>',
    overview(doc),
    ...groups.map(({ tag, endpoints: items }) => {
      const schemas = items.flatMap((e) => bodySchemasOf(e.operation, doc)).filter((name, i, all) => all.indexOf(name) === i)
      return [
        `<section data-group id="${anchor('tag', tag.name)}">`,
        `<h2>${escapeHtml(tag.name)}</h2>`,
        markdown(tag.description),
        ...items.map((e) => operationCard(e, tag.name, doc)),
        schemas.length === 0 ? '' : `<h4>Schemas</h4>${schemas.map((name) => schemaSection(name, doc)).join('')}`,
        '</section>',
      ].join('\n')
    }),
    graphqlSdl === undefined ? '' : graphqlSection(graphqlSdl),
    errorsSection(doc, new Set(endpoints.flatMap((e) => bodySchemasOf(e.operation, doc)))),
    `<footer>${inlineMarkdown(doc['x-generated-by'])} The same API as OpenAPI 3.1: <code>openapi.json</code>.</footer>`,
    '</main>',
    '</div>',
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

function overview(doc: OpenApiDocument): string {
  const schemes = Object.entries(doc.components.securitySchemes)
  const anonymous = doc.security.some((requirement) => Object.keys(requirement).length === 0)
  return [
    '<section id="overview">',
    `<h1>${escapeHtml(doc.info.title)}</h1>`,
    `<p class="subtitle">API reference · version ${escapeHtml(doc.info.version)} · OpenAPI ${escapeHtml(doc.openapi)}</p>`,
    markdown(doc.info.description),
    '<h4>Authentication</h4>',
    '<div class="table-wrap"><table><thead><tr><th>Scheme</th><th>How</th><th>Description</th></tr></thead><tbody>',
    ...schemes.map(([name, scheme]) => {
      const how = scheme.type === 'http' ? `HTTP ${escapeHtml(scheme.scheme)}` : `${escapeHtml(scheme.in)} <code>${escapeHtml(scheme.name)}</code>`
      return `<tr><td class="name"><code>${escapeHtml(name)}</code></td><td>${how}</td><td class="desc">${inlineMarkdown(scheme.description)}</td></tr>`
    }),
    '</tbody></table></div>',
    anonymous ? '<p class="muted">Requests without credentials are served too, as the anonymous user: the policies decide what it may read and write.</p>' : '',
    '</section>',
  ].join('\n')
}

function operationCard(endpoint: Endpoint, tag: string, doc: OpenApiDocument): string {
  const { operation } = endpoint
  const parameters = operation.parameters.map((p) => resolveParameter(p, doc))
  const body = operation.requestBody
  return [
    `<article class="op" id="${anchor('op', operation.operationId)}" data-search="${searchText(endpoint, tag)}">`,
    `<header>${methodBadge(endpoint.method)}<code class="path">${escapeHtml(endpoint.path)}</code><span class="opid">${escapeHtml(operation.operationId)}</span></header>`,
    '<div class="op-body">',
    `<h3>${escapeHtml(operation.summary)}</h3>`,
    markdown(operation.description),
    operation.security !== undefined && operation.security.length === 0 ? '<p class="muted">No credentials needed.</p>' : '',
    parameters.length === 0 ? '' : `<h4>Parameters</h4>${parameterTable(parameters, doc)}`,
    body === undefined ? '' : `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${markdown(body.description)}${contentBlock(body.content, doc)}`,
    `<h4>Responses</h4>${responseTable(operation, doc)}`,
    '</div>',
    '</article>',
  ].join('\n')
}

function parameterTable(parameters: readonly ParameterObject[], doc: OpenApiDocument): string {
  const rows = parameters.map((p) => {
    const constraints = constraintsOf(p.schema)
    return (
      `<tr><td class="name"><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td>` +
      `<td class="type">${typeLabel(p.schema, doc)}</td>` +
      `<td>${p.required ? '<span class="req">required</span>' : '<span class="opt">optional</span>'}</td>` +
      `<td class="desc">${inlineMarkdown(p.description)}${constraints === '' ? '' : ` <span class="muted">(${constraints})</span>`}</td></tr>`
    )
  })
  return `<div class="table-wrap"><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
}

function responseTable(operation: OperationObject, doc: OpenApiDocument): string {
  const rows = Object.entries(operation.responses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, value]) => {
      const { response, name } = resolveResponse(value, doc)
      const headers = Object.entries(response.headers ?? {}).map(([header, h]) => `<br><span class="muted">Header <code>${escapeHtml(header)}</code>: ${inlineMarkdown(h.description)}</span>`)
      const see = name === undefined ? '' : ` <a href="#${anchor('response', name)}">(errors)</a>`
      return (
        `<tr><td><span class="status s${escapeHtml(status.charAt(0))}">${escapeHtml(status)}</span></td>` +
        `<td class="desc">${inlineMarkdown(response.description)}${see}${headers.join('')}</td>` +
        `<td class="type">${bodyLabel(response, doc)}</td></tr>`
      )
    })
  return `<div class="table-wrap"><table><thead><tr><th>Status</th><th>Description</th><th>Body</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
}

/** A response body's type; with several media types, each one named. */
function bodyLabel(response: ResponseObject, doc: OpenApiDocument): string {
  const media = Object.entries(response.content ?? {})
  if (media.length === 0) return '<span class="muted">no body</span>'
  if (media.length === 1) return typeLabel(media[0]![1].schema, doc)
  return media.map(([type, m]) => `${typeLabel(m.schema, doc)} <span class="muted media">${escapeHtml(type)}</span>`).join('<br>')
}

/** A request body: its media type and type, then each schema it names as a collapsible table. */
function contentBlock(content: Readonly<Record<string, MediaTypeObject>>, doc: OpenApiDocument): string {
  return Object.entries(content)
    .map(([mediaType, media]) => {
      const named = referencedSchemas(media.schema, doc)
      const details = named.map((name) => `<details><summary>Properties of <code>${escapeHtml(name)}</code></summary>${schemaTable(doc.components.schemas[name]!, doc)}</details>`)
      const inline = named.length === 0 ? schemaTable(media.schema, doc) : ''
      return `<p class="muted"><code>${escapeHtml(mediaType)}</code>: ${typeLabel(media.schema, doc)}</p>${details.join('')}${inline}`
    })
    .join('')
}

function schemaSection(name: string, doc: OpenApiDocument): string {
  return `<div class="schema" id="${anchor('schema', name)}"><h3><code>${escapeHtml(name)}</code></h3>${schemaTable(doc.components.schemas[name]!, doc)}</div>`
}

function errorsSection(doc: OpenApiDocument, shown: ReadonlySet<string>): string {
  const others = Object.keys(doc.components.schemas).filter((name) => !shown.has(name))
  const responses = Object.entries(doc.components.responses)
  return [
    '<section id="errors">',
    '<h2>Errors</h2>',
    '<p>Every error answers with the same JSON body; the <code>code</code> is stable, the message and hint are for people.</p>',
    ...others.map((name) => schemaSection(name, doc)),
    '<div class="table-wrap"><table><thead><tr><th>Response</th><th>Description</th></tr></thead><tbody>',
    ...responses.map(([name, response]) => `<tr id="${anchor('response', name)}"><td><code>${escapeHtml(name)}</code></td><td class="desc">${inlineMarkdown(response.description)}</td></tr>`),
    '</tbody></table></div>',
    '</section>',
  ].join('\n')
}

/** The component schemas an operation's request and success bodies name: a table's schemas. */
function bodySchemasOf(operation: OperationObject, doc: OpenApiDocument): string[] {
  const media = [
    ...Object.values(operation.requestBody?.content ?? {}),
    ...Object.values(operation.responses).flatMap((r) => ('$ref' in r ? [] : Object.values(r.content ?? {}))),
  ]
  return media.flatMap((m) => referencedSchemas(m.schema, doc))
}

function resolveParameter(parameter: ParameterObject | Reference, doc: OpenApiDocument): ParameterObject {
  if (!('$ref' in parameter)) return parameter
  const name = parameter.$ref.slice('#/components/parameters/'.length)
  const found = doc.components.parameters[name]
  if (found === undefined) throw new KoyaError('KL_INT_UNEXPECTED', `The OpenAPI document has no parameter ${parameter.$ref}.`)
  return found
}

function resolveResponse(response: ResponseObject | Reference, doc: OpenApiDocument): { response: ResponseObject; name?: string } {
  if (!('$ref' in response)) return { response }
  const name = response.$ref.slice('#/components/responses/'.length)
  const found = doc.components.responses[name]
  if (found === undefined) throw new KoyaError('KL_INT_UNEXPECTED', `The OpenAPI document has no response ${response.$ref}.`)
  return { response: found, name }
}

function methodBadge(method: HttpMethod): string {
  return `<span class="m ${method}">${method.toUpperCase()}</span>`
}

/** What the filter box matches: method, path, summary, operationId and table, lower case, escaped for an attribute. */
function searchText({ method, path, operation }: Endpoint, tag: string): string {
  return escapeHtml([method, path, operation.summary, operation.operationId, tag].join(' ').toLowerCase())
}
