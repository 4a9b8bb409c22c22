// `deno serve` of the same handler, for the baseline.
import hello from './hello.ts'

export default { fetch: hello }
