import { it } from 'vitest'
import { createWorld } from './world.ts'
it('perf', async () => {
  const w = await createWorld()
  const tasks = Array.from({ length: 40 }, (_, i) => ({ projectId: w.id('P1'), title: `Task ${i}`, createdBy: w.id('editor') }))
  await w.rest('system', 'POST', '/api/tasks', { body: tasks })
  const q = '{ tasks(limit: 20, orderBy: [{ createdAt: DESC }]) { id title status createdAt project { id name } } }'
  const run = async (label: string, f: () => Promise<unknown>) => {
    for (let i = 0; i < 300; i++) await f()
    const t0 = performance.now()
    for (let i = 0; i < 2000; i++) await f()
    console.log(label, ((performance.now() - t0) / 2000).toFixed(3), 'ms')
  }
  await run('rest', () => w.rest('editor', 'GET', '/api/tasks?select=id,title,status,createdAt,project(id,name)&order=createdAt.desc&limit=20'))
  await run('graphql', () => w.graphql('editor', q))
  await run('rest', () => w.rest('editor', 'GET', '/api/tasks?select=id,title,status,createdAt,project(id,name)&order=createdAt.desc&limit=20'))
  await run('graphql', () => w.graphql('editor', q))
  await w.close()
}, 120000)
