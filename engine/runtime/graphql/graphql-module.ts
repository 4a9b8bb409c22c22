import type { ValidationRule } from 'graphql'
import { buildSchema } from './graphql-js.ts'
import mercurius from 'mercurius'
import { printGraphqlSdl } from '../../ir/graphql/print-sdl.ts'
import type { GraphqlIR } from '../../ir/project-ir.ts'
import { defineModule } from '../modules/feature-module.ts'
import { graphqlErrorFormatter } from './graphql-errors.ts'
import { DEFAULT_GRAPHQL_LIMITS, checkLimits, codedGraphqlError, noIntrospectionRule, type GraphqlLimits } from './limits.ts'
import { createResolvers } from './resolvers.ts'
import { registerWebsocket } from '../http/websocket.ts'
import { createGraphqlSubscriptions } from './subscriptions.ts'

/**
 * The graphql module's options (`createServer({ graphql: { … } })`): the app's `graphql` settings
 * from koyalite.ts, overridden field by field. Tests and embedders use them; apps configure
 * `defineConfig({ graphql })`.
 */
export type GraphqlModuleOptions = GraphqlIR

/** The settings in force: the module's options over the app's, over the defaults. */
export interface GraphqlSettings extends GraphqlLimits {
  readonly enabled: boolean
  readonly introspection: boolean
  readonly persistedQueries: boolean
}

export function graphqlSettingsOf(configured: GraphqlIR | undefined, options: GraphqlModuleOptions | undefined, production: boolean): GraphqlSettings {
  const given = { ...configured, ...options }
  return {
    ...DEFAULT_GRAPHQL_LIMITS,
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
    enabled: given.enabled ?? true,
    // Off in production unless the app turns it on; always on elsewhere.
    introspection: production ? given.introspection === true : given.introspection !== false,
    persistedQueries: given.persistedQueries ?? false,
  }
}

/** Tokens in one GraphQL document: far above any real query; write bulk data as variables, which are not tokens. */
const MAX_TOKENS = 10_000

/**
 * `/graphql`: the app's generated schema on Mercurius, resolved through the data layer as the
 * request's actor (same session, same policies, same rows as REST); GraphiQL at `/graphiql` in
 * `koyalite dev`. Subscriptions (graphql-ws on the same path) are connections of the realtime
 * module's hub (subscriptions.ts), so they are judged exactly as /realtime's are.
 */
export const graphqlModule = defineModule<GraphqlModuleOptions | undefined>({
  name: 'graphql',
  systemMigrations: [],
  async register(app, runtime, options) {
    const settings = graphqlSettingsOf(runtime.model.graphql, options, runtime.env.NODE_ENV === 'production')
    if (!settings.enabled) return
    const schema = buildSchema(printGraphqlSdl(runtime.model))
    const rules: ValidationRule[] = settings.introspection ? [] : [noIntrospectionRule]

    // A batch is bounded before Mercurius runs any of it.
    app.addHook('preHandler', async (request, reply) => {
      if (Array.isArray(request.body) && request.body.length > settings.maxBatch) {
        const error = codedGraphqlError('KL_API_GRAPHQL_BATCH', `The batch holds ${request.body.length} queries; the server runs at most ${settings.maxBatch} at once.`)
        return reply.code(400).send({ data: null, errors: [{ message: error.message, extensions: error.extensions }] })
      }
    })

    const hub = runtime.realtime()
    const subscriptions = hub === undefined ? undefined : createGraphqlSubscriptions({ model: runtime.model, data: runtime.data, hub, credentials: runtime.credentials(), limits: settings, rules })
    // The WebSocket upgrade of /graphql (Mercurius would register @fastify/websocket itself, a second upgrade listener).
    if (subscriptions) await registerWebsocket(app, { maxPayload: 1024 * 1024 })

    await app.register(mercurius, {
      schema,
      resolvers: { ...createResolvers({ model: runtime.model, data: runtime.data, tables: runtime.tables, actorOf: (request) => runtime.actorOf(request), pages: settings }), ...subscriptions?.resolvers } as never,
      ...(subscriptions ? { subscription: subscriptions.mercurius as never } : {}),
      path: '/graphql',
      graphiql: runtime.dev,
      validationRules: rules,
      allowBatchedQueries: true,
      // A document is parsed before any rule sees it: its size is bounded first (the body limit
      // bounds bytes; this bounds the work of parsing and validating them).
      graphql: { parseOptions: { maxTokens: MAX_TOKENS } },
      // graphql-jit compiles a query from its second run on: the resolvers stay the same, the
      // walk over the result is generated code (test: a re-run answers exactly the same).
      jit: 1,
      errorFormatter: graphqlErrorFormatter as never,
      // Mercurius's own depth check is replaced by checkLimits (it codes its errors).
      ...(settings.persistedQueries ? { persistedQueryProvider: mercurius.persistedQueryDefaults.automatic() } : {}),
    })
    app.graphql.addHook('preValidation', async (schema, document) => checkLimits(schema, document, settings))
    if (subscriptions) app.graphql.addHook('preSubscriptionExecution', async (schema, document) => subscriptions.check(schema, document))
  },
})
