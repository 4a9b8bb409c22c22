/** The queue kind of a job of `defineConfig({ jobs })`: `job:<name>` (emails are `email`). */
export function jobKind(name: string): string {
  return `job:${name}`
}

/** A name the admin API is given (`digest`, or a kind such as `email`) as the queue kind it filters on. */
export function kindOfName(name: string, jobNames: ReadonlySet<string>): string {
  return jobNames.has(name) ? jobKind(name) : name
}
