/** The end of an exhaustive switch: adding a kind breaks the build until every stage handles it. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`)
}
