import { createRequire } from 'node:module'

/**
 * graphql-js, loaded the way Mercurius loads it. graphql 16 ships CommonJS and ESM builds side by
 * side; an ESM `import` would load the second copy, whose classes fail Mercurius's `instanceof`
 * checks (the dual-package hazard). Every runtime file takes graphql-js from here.
 */
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql')

export const { GraphQLError, GraphQLIncludeDirective, GraphQLSkipDirective, Kind, buildSchema, getArgumentValues, getDirectiveValues, getNamedType, getNullableType, isListType, isObjectType, specifiedRules, validate, valueFromASTUntyped } = graphql
