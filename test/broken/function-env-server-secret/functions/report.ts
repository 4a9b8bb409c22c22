export default async (_req: Request): Promise<Response> => new Response('ok')
