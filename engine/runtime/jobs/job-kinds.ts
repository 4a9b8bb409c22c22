/**
 * The queue kind of a job of `defineConfig({ jobs })`: `job:<name>` (emails are `email`).
 *
 * @example
 * queue.enqueue(jobKind('digest'), { workspaceId })
 */
export function jobKind(name: string): string {
  return `job:${name}`
}

/**
 * A name the admin API is given (`digest`, or a kind such as `email`) as the queue kind it filters on.
 *
 * @example
 * kindOfName('digest', new Set(['digest'])) // 'job:digest'
 */
export function kindOfName(name: string, jobNames: ReadonlySet<string>): string {
  return jobNames.has(name) ? jobKind(name) : name
}
