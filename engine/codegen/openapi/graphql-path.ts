import type { ProjectIR } from '../../ir/project-ir.ts'
import type { OperationObject, TagObject } from './openapi-types.ts'
import { json } from './shared-components.ts'

/** The tag of `/graphql`; capitalized so that no table name can take it. */
export const GRAPHQL_TAG = 'GraphQL'

/** Whether the app serves /graphql (`graphql: { enabled: false }` turns it off). */
export function servesGraphql(ir: ProjectIR): boolean {
  return ir.graphql?.enabled !== false
}

export const graphqlTag: TagObject = {
  name: GRAPHQL_TAG,
  description:
    'The same tables, policies and rows as the REST API, as a GraphQL schema (generated/graphql/schema.graphql; the GraphQL section of the API reference lists its fields). ' +
    'Errors carry `extensions.code`, a stable `KL_*` code.',
}

/**
 * POST /graphql as OpenAPI: a link from the REST document to the GraphQL endpoint. The schema
 * itself is SDL, not OpenAPI: the request and response here are GraphQL over HTTP's.
 */
export function graphqlOperation(): OperationObject {
  return {
    operationId: 'graphql',
    tags: [GRAPHQL_TAG],
    summary: 'Run a GraphQL query or mutation',
    description:
      'A GraphQL request (or a batch of up to 10 as a JSON array). Queries are limited in depth, aliases and estimated cost before they run. ' +
      'GraphiQL is served at `/graphiql` in `koyalite dev`.',
    parameters: [],
    requestBody: {
      required: true,
      description: 'A GraphQL request.',
      content: json({
        type: 'object',
        properties: {
          query: { type: 'string', description: 'The GraphQL document.' },
          variables: { type: 'object', additionalProperties: true },
          operationName: { type: 'string' },
          extensions: { type: 'object', additionalProperties: true, description: 'Automatic persisted queries: `{ persistedQuery: { version: 1, sha256Hash } }` (when enabled).' },
        },
      }),
    },
    responses: {
      '200': {
        description: 'The result: `data`, and `errors` for fields that failed (each with `extensions.code`).',
        content: json({ type: 'object', properties: { data: { type: ['object', 'null'], additionalProperties: true }, errors: { type: 'array', items: { type: 'object', additionalProperties: true } } } }),
      },
      '400': {
        description: 'Refused before anything ran: the query does not parse or validate, or goes past a limit (`extensions.code` names which).',
        content: json({ type: 'object', properties: { data: { type: 'null' }, errors: { type: 'array', items: { type: 'object', additionalProperties: true } } } }),
      },
    },
  }
}
