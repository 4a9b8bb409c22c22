import type { KoyaErrorCode, SourceLocation } from '../../shared/errors.ts'
import type { PolicyOperation } from '../../ir/project-ir.ts'

/**
 * The policy syntax tree: what the type-check worker reads from each policy arrow, as plain data
 * that crosses the thread boundary. It keeps only the forms the policy language has; anything
 * else was reported where it was found and left as an `invalid` node, so the main thread can
 * resolve the rest (and report its own problems) without loading TypeScript.
 */
export type PolicySyntaxNode =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null; readonly at: SourceLocation }
  | { readonly kind: 'identifier'; readonly name: string; readonly at: SourceLocation }
  /** `object.name` or `object?.name`; `nameAt` is the name's location. */
  | { readonly kind: 'member'; readonly object: PolicySyntaxNode; readonly name: string; readonly nameAt: SourceLocation; readonly at: SourceLocation }
  /** `object.method(args)`; `at` is the method name's location. */
  | { readonly kind: 'call'; readonly object: PolicySyntaxNode; readonly method: PolicyMethod; readonly args: readonly PolicySyntaxNode[]; readonly at: SourceLocation }
  /** The callback of `.some/.every`: one parameter, an expression body. */
  | { readonly kind: 'arrow'; readonly param: string; readonly body: PolicySyntaxNode; readonly at: SourceLocation }
  /** `at` is the operator's location. */
  | { readonly kind: 'compare'; readonly operator: PolicyCompareOperator; readonly left: PolicySyntaxNode; readonly right: PolicySyntaxNode; readonly at: SourceLocation }
  | { readonly kind: 'logical'; readonly operator: '&&' | '||'; readonly left: PolicySyntaxNode; readonly right: PolicySyntaxNode; readonly at: SourceLocation }
  | { readonly kind: 'not'; readonly operand: PolicySyntaxNode; readonly at: SourceLocation }
  | { readonly kind: 'conditional'; readonly test: PolicySyntaxNode; readonly then: PolicySyntaxNode; readonly otherwise: PolicySyntaxNode; readonly at: SourceLocation }
  | { readonly kind: 'array'; readonly elements: readonly PolicySyntaxNode[]; readonly at: SourceLocation }
  /** Something outside the language, already reported by the reader. */
  | { readonly kind: 'invalid'; readonly at: SourceLocation }

export type PolicyMethod = 'includes' | 'some' | 'every'
export type PolicyCompareOperator = '===' | '!==' | '<' | '<=' | '>' | '>='

/** A problem found while reading source, as plain data. */
export interface PolicySyntaxProblem {
  readonly code: KoyaErrorCode
  readonly message: string
  readonly hint: string | undefined
  readonly at: SourceLocation
}

/** One predicate arrow: `(row, auth) => body`. */
export interface PolicyArrowSyntax {
  /** The parameters' names; a missing one is null (`() => true`, `(_row) => …`). */
  readonly row: string | null
  readonly auth: string | null
  readonly body: PolicySyntaxNode
  /** The arrow as written. */
  readonly source: string
  readonly at: SourceLocation
}

/** One rule of a policies() call: a table's operation, with its predicate(s). */
export interface PolicyRuleSyntax {
  readonly table: string
  /** The table key in the rules object. */
  readonly tableAt: SourceLocation
  readonly operation: PolicyOperation
  /** The operation's key. */
  readonly at: SourceLocation
  /** `update: { using, check }` gives both; every other rule is one arrow (`predicate`). */
  readonly rule:
    | { readonly kind: 'predicate'; readonly predicate: PolicyArrowSyntax | null }
    | { readonly kind: 'usingCheck'; readonly using: PolicyArrowSyntax | null; readonly check: PolicyArrowSyntax | null }
}

/** A `policies(schema, { … })` call found in the definition's files. */
export interface PoliciesCallSyntax {
  readonly at: SourceLocation
  readonly rules: readonly PolicyRuleSyntax[]
  /**
   * Part of the rules could not be read (not inline, a spread): already reported, and the
   * rules found here may be fewer than the PoliciesDef holds.
   */
  readonly partial: boolean
}

/** Everything the reader found in a definition's files. */
export interface PolicySourceSyntax {
  readonly calls: readonly PoliciesCallSyntax[]
  readonly problems: readonly PolicySyntaxProblem[]
}

/** What a policy may contain: the hint of every KL_POLICY_UNSUPPORTED. */
export const SUPPORTED_POLICY_FORMS =
  "Policies support: === !== < <= > >=, && || !, ?:, string/number/boolean literals, x === null / x !== null, auth.userId, auth.roles.includes('role'), ['a', 'b'].includes(row.col), a bool column as a condition, belongs-to traversal (task.project.workspace.ownerId, ?. too) and .some()/.every() over has-many relations with an inline arrow (m => …)."
