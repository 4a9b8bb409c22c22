// A typed edge function of the reference app: how a project's tasks stand. It reads through
// ctx.client, which acts as the caller, so the tasks policies decide what it counts: a project
// the caller cannot see has no tasks for them. Deploy with `koyalite functions deploy`.
interface Input {
  readonly projectId: string
}

interface Task {
  readonly status: 'todo' | 'doing' | 'done'
  readonly dueAt: string | null
}

interface Ctx {
  readonly client: { from(table: string): { list(query: string): Promise<Task[]> } }
}

export default async (input: Input, ctx: Ctx) => {
  const tasks = await ctx.client.from('tasks').list(`projectId=eq.${encodeURIComponent(input.projectId)}&select=status,dueAt&limit=1000`)
  const now = Date.now()
  const count = (status: Task['status']) => tasks.filter((task) => task.status === status).length
  return {
    total: tasks.length,
    todo: count('todo'),
    doing: count('doing'),
    done: count('done'),
    overdue: tasks.filter((task) => task.status !== 'done' && task.dueAt !== null && Date.parse(task.dueAt) < now).length,
  }
}
