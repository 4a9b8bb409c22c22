// The benchmarked handler: the same file runs as a KoyaLite function and under `deno serve`.
export default async (_request: Request): Promise<Response> => new Response('Hello, world!', { headers: { 'content-type': 'text/plain' } })
