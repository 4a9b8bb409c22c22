import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, scratchProject } from '../helpers/cli.ts'

describe('koyalite CLI: usage', () => {
  const cwd = process.cwd()

  it('prints help with every command and exits 0 on --help', async () => {
    const run = await runCli(cwd, ['--help'])
    expect(run.code).toBe(0)
    for (const command of ['init', 'generate', 'migrate', 'start', 'dev']) expect(run.out).toContain(command)
  })

  it('exits 1 with help when no command is given', async () => {
    expect((await runCli(cwd, [])).code).toBe(1)
  })

  it('refuses an unknown command with KL_CLI_USAGE and a hint', async () => {
    const run = await runCli(cwd, ['generat'])
    expect(run.code).toBe(1)
    expect(run.err).toContain('KL_CLI_USAGE')
    expect(run.err).toContain('hint:')
  })

  it('refuses an unknown flag with KL_CLI_USAGE', async () => {
    const run = await runCli(cwd, ['generate', '--chek'])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/KL_CLI_USAGE.*chek/)
  })

  it('prints each command\'s usage on --help', async () => {
    for (const command of ['init', 'generate', 'migrate', 'start', 'dev']) {
      const run = await runCli(cwd, [command, '--help'])
      expect(run.code).toBe(0)
      expect(run.out).toContain(`koyalite ${command}`)
    }
  })

  it('refuses a migrate action it does not know', async () => {
    const run = await runCli(cwd, ['migrate', 'sideways'])
    expect(run.code).toBe(1)
    expect(run.err).toContain('KL_CLI_USAGE')
  })

  it('colors output on a TTY and not otherwise', async () => {
    const plain = await runCli(cwd, ['generat'], {}, false)
    const colored = await runCli(cwd, ['generat'], {}, true)
    expect(plain.err).not.toContain('\u001b[')
    expect(colored.err).toContain('\u001b[')
  })
})

describe('koyalite CLI: generate and migrate on a project', () => {
  let project: ReturnType<typeof scratchProject>
  let db: string
  beforeAll(() => {
    project = scratchProject('minimal', 'cli')
    db = path.join(project.root, 'data', 'test.db')
  })
  afterAll(() => project.remove())

  const schemaFile = () => path.join(project.root, 'koyalite.ts')
  const editSchema = (from: string, to: string) => writeFileSync(schemaFile(), readFileSync(schemaFile(), 'utf8').replace(from, to))

  it('generates model, types and the first migration, then reports no changes', async () => {
    const first = await runCli(project.root, ['generate'])
    expect(first.code, first.err).toBe(0)
    expect(first.out).toContain('0001_init')
    for (const file of ['generated/model.json', 'generated/types.ts', 'generated/migrations/0001_init.sql', 'generated/migrations/0001_init.down.sql', 'generated/migrations/meta/0001.snapshot.json']) {
      expect(existsSync(path.join(project.root, file)), file).toBe(true)
    }
    const second = await runCli(project.root, ['generate'])
    expect(second.code).toBe(0)
    expect(second.out).toContain('no changes')
    expect((await runCli(project.root, ['generate', '--check'])).code).toBe(0)
  })

  it('treats a file in generated/ that generate no longer writes as stale, and removes it', async () => {
    const ghost = path.join(project.root, 'generated', 'api', 'ghost.ts')
    writeFileSync(ghost, '// left over from a dropped table\n')
    const check = await runCli(project.root, ['generate', '--check'])
    expect(check.code).toBe(1)
    expect(check.err).toContain('generated/api/ghost.ts (no longer generated)')
    const generate = await runCli(project.root, ['generate'])
    expect(generate.code).toBe(0)
    expect(generate.out).toContain('- generated/api/ghost.ts')
    expect(existsSync(ghost)).toBe(false)
    expect(existsSync(path.join(project.root, 'generated', 'migrations', '0001_init.sql'))).toBe(true)
    expect((await runCli(project.root, ['generate', '--check'])).code).toBe(0)
  })

  it('applies, lists and undoes migrations on the --db file', async () => {
    const up = await runCli(project.root, ['migrate', 'up', '--db', db])
    expect(up.code, up.err).toBe(0)
    expect(up.out).toContain('0001_init')
    const status = await runCli(project.root, ['migrate', 'status', '--db', db])
    expect(status.out).toMatch(/applied\s+0001_init/)
    expect((await runCli(project.root, ['migrate', 'up', '--db', db])).out).toContain('up to date')
  })

  it('fails --check when the definition changed, then generates the next migration', async () => {
    editSchema("done: t.bool().default(false),", "done: t.bool().default(false),\n  notes: t.text().optional(),")
    const check = await runCli(project.root, ['generate', '--check'])
    expect(check.code).toBe(1)
    expect(check.err).toContain('KL_DEF_GENERATED_STALE')
    const generate = await runCli(project.root, ['generate'])
    expect(generate.code, generate.err).toBe(0)
    expect(generate.out).toContain('0002_add_column_todos_notes')
    expect(readdirSync(path.join(project.root, 'generated/migrations')).filter((f) => f.startsWith('0002'))).toEqual(['0002_add_column_todos_notes.down.sql', '0002_add_column_todos_notes.sql'])
  })

  it('refuses a destructive change without --allow-data-loss, naming the flag', async () => {
    editSchema('  notes: t.text().optional(),\n', '')
    const refused = await runCli(project.root, ['generate'])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('KL_MIG_DESTRUCTIVE')
    expect(refused.err).toContain('--allow-data-loss')
    expect(existsSync(path.join(project.root, 'generated/migrations/0003_drop_column_todos_notes.sql'))).toBe(false)
    const allowed = await runCli(project.root, ['generate', '--allow-data-loss'])
    expect(allowed.code, allowed.err).toBe(0)
    expect(allowed.out).toContain('0003_drop_column_todos_notes')
  })

  it('migrates down and up again; refuses a tampered migration with KL_MIG_TAMPERED', async () => {
    expect((await runCli(project.root, ['migrate', 'up', '--db', db])).code).toBe(0)
    const down = await runCli(project.root, ['migrate', 'down', '--db', db])
    expect(down.code, down.err).toBe(0)
    expect(down.out).toContain('0003_drop_column_todos_notes')
    expect((await runCli(project.root, ['migrate', 'status', '--db', db])).out).toMatch(/pending\s+0003/)

    const applied = path.join(project.root, 'generated/migrations/0002_add_column_todos_notes.sql')
    writeFileSync(applied, readFileSync(applied, 'utf8') + '\n-- edited by hand\n')
    const tampered = await runCli(project.root, ['migrate', 'up', '--db', db])
    expect(tampered.code).toBe(1)
    expect(tampered.err).toContain('KL_MIG_TAMPERED')
    expect((await runCli(project.root, ['migrate', 'status', '--db', db])).code).toBe(1)
  })

  it('uses KOYA_DB when --db is absent', async () => {
    const other = path.join(project.root, 'data', 'from-env.db')
    const run = await runCli(project.root, ['migrate', 'status'], { KOYA_DB: other })
    expect(run.out).toMatch(/pending\s+0001_init/)
  })

  it('reports a database path it cannot open as KL_CLI_DATABASE, without a stack', async () => {
    const run = await runCli(project.root, ['migrate', 'status', '--db', path.join(project.root, 'generated')])
    expect(run.code).toBe(1)
    expect(run.err).toContain('KL_CLI_DATABASE')
    expect(run.err).not.toMatch(/\n\s+at /)
  })

  it('reports a port in use as KL_CLI_PORT_IN_USE, without a stack', async () => {
    const busy = net.createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as net.AddressInfo).port
    try {
      const run = await runCli(project.root, ['start', '--port', String(port), '--db', db, '--no-migrate'], { LOG_LEVEL: 'silent' })
      expect(run.code).toBe(1)
      expect(run.err).toContain('KL_CLI_PORT_IN_USE')
      expect(run.err).not.toMatch(/\n\s+at /)
    } finally {
      busy.close()
    }
  })

  it('reports a missing config as KL_DEF_CONFIG_NOT_FOUND with exit 1', async () => {
    const run = await runCli(project.root, ['generate', '--config', 'nope.ts'])
    expect(run.code).toBe(1)
    expect(run.err).toContain('KL_DEF_CONFIG_NOT_FOUND')
    expect(run.err).not.toMatch(/\n\s+at /)
  })
})
