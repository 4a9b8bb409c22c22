import { existsSync } from 'node:fs'
import path from 'node:path'
import { IndentationText, Node, Project, QuoteKind, SyntaxKind, type ArrayLiteralExpression, type CallExpression, type Expression, type ObjectLiteralExpression, type SourceFile } from 'ts-morph'
import type { NewColumn, StudioEdit } from '../ir/routes/studio-dev-routes.ts'
import { KoyaError } from '../shared/errors.ts'

/**
 * Studio's edits of a project's code with ts-morph: only the nodes an edit names change, the rest
 * of each file keeps its text byte for byte. Where Studio looks: `table('<name>', { … })` calls
 * and `policies(schema, { <table>: { … } })` calls in koyalite.ts, schema/ and policies/.
 */

export function openProject(root: string): Project {
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Single, useTrailingCommas: true },
  })
  project.addSourceFilesAtPaths([path.join(root, 'koyalite.ts'), path.join(root, 'schema', '**', '*.ts'), path.join(root, 'policies', '**', '*.ts')])
  return project
}

export function applyEdit(project: Project, root: string, edit: StudioEdit): void {
  switch (edit.kind) {
    case 'addColumn':
      return addColumn(project, edit.table, edit.column)
    case 'renameColumn':
      return renameColumn(project, edit.table, edit.from, edit.to)
    case 'addTable':
      return addTable(project, root, edit.table, edit.columns)
    case 'editPolicy':
      return editPolicy(project, edit.table, edit.operation, edit.source)
    case 'addIndex':
      return addIndex(project, edit.table, edit.columns, edit.unique === true)
    case 'editIndex':
      return editIndex(project, edit.table, edit.columns, edit.to, edit.unique === true)
    case 'dropIndex':
      return dropIndex(project, edit.table, edit.columns)
  }
}

const notFound = (message: string, hint?: string) => new KoyaError('KL_API_STUDIO_EDIT_NOT_FOUND', message, hint ? { hint } : {})
const invalid = (message: string) => new KoyaError('KL_API_STUDIO_EDIT_INVALID', message)

const callsNamed = (file: SourceFile, name: string): CallExpression[] =>
  file.getDescendantsOfKind(SyntaxKind.CallExpression).filter((call) => call.getExpression().getText() === name)

/** The `table('<name>', { … })` call. */
function findTableCall(project: Project, name: string): CallExpression | undefined {
  for (const file of project.getSourceFiles()) {
    for (const call of callsNamed(file, 'table')) {
      const [first, second] = call.getArguments()
      if (first && Node.isStringLiteral(first) && first.getLiteralValue() === name && second && Node.isObjectLiteralExpression(second)) return call
    }
  }
  return undefined
}

/** The columns object of `table('<name>', { … })`. */
function findTable(project: Project, name: string): ObjectLiteralExpression | undefined {
  const columns = findTableCall(project, name)?.getArguments()[1]
  return columns !== undefined && Node.isObjectLiteralExpression(columns) ? columns : undefined
}

function tableOrThrow(project: Project, name: string): ObjectLiteralExpression {
  const found = findTable(project, name)
  if (!found) throw notFound(`No \`table('${name}', { … })\` in koyalite.ts, schema/ or policies/.`, 'Studio edits tables declared with a table() call whose name is a string literal.')
  return found
}

export function columnSource(column: NewColumn): string {
  return `t.${column.type}()${column.unique ? '.unique()' : ''}${column.optional ? '.optional()' : ''}`
}

function addColumn(project: Project, tableName: string, column: NewColumn): void {
  const columns = tableOrThrow(project, tableName)
  if (columns.getProperty(column.name)) throw invalid(`Table "${tableName}" already has a column "${column.name}".`)
  // Before the system timestamps, where a person would write it.
  const properties = columns.getProperties()
  const at = properties.findIndex((p) => Node.isPropertyAssignment(p) && /^t\.(createdAt|updatedAt)\(/.test(p.getInitializer()?.getText() ?? ''))
  columns.insertPropertyAssignment(at === -1 ? properties.length : at, { name: column.name, initializer: columnSource(column) })
}

function renameColumn(project: Project, tableName: string, from: string, to: string): void {
  const columns = tableOrThrow(project, tableName)
  const property = columns.getProperty(from)
  if (!property || !Node.isPropertyAssignment(property)) throw notFound(`Table "${tableName}" has no column "${from}" written as \`${from}: t.…()\`.`)
  if (columns.getProperty(to)) throw invalid(`Table "${tableName}" already has a column "${to}".`)
  const initializer = property.getInitializerOrThrow()
  // renamedFrom makes the migration a RENAME COLUMN, keeping the data.
  initializer.replaceWithText(`${initializer.getText()}.renamedFrom('${from}')`)
  property.getNameNode().replaceWithText(to)
  // The table's own policies read the column through their row parameter: `task.from`.
  for (const rules of tablePolicyObjects(project, tableName)) {
    for (const arrow of rules.getDescendantsOfKind(SyntaxKind.ArrowFunction)) {
      const row = arrow.getParameters()[0]?.getName()
      if (row === undefined) continue
      for (const access of arrow.getDescendantsOfKind(SyntaxKind.PropertyAccessExpression)) {
        if (access.getName() === from && access.getExpression().getText() === row) access.getNameNode().replaceWithText(to)
      }
    }
  }
}

function addTable(project: Project, root: string, name: string, columns: readonly NewColumn[]): void {
  if (findTable(project, name)) throw invalid(`A table "${name}" is already declared.`)
  const file = path.join(root, 'schema', `${name}.ts`)
  if (existsSync(file) || project.getSourceFile(file)) throw invalid(`schema/${name}.ts already exists.`)
  const reserved = new Set(['id', 'createdAt', 'updatedAt'])
  const lines = columns.filter((c) => !reserved.has(c.name)).map((c) => `  ${c.name}: ${columnSource(c)},`)
  project.createSourceFile(file, `import { table, t } from 'koyalite'\n\nexport const ${name} = table('${name}', {\n  id: t.id(),\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}  createdAt: t.createdAt(),\n  updatedAt: t.updatedAt(),\n})\n`)
  // Listed where the app lists its tables: schema/index.ts, else defineConfig's `tables: { … }`.
  const index = project.getSourceFile(path.join(root, 'schema', 'index.ts'))
  if (index) {
    // As text, so the file's own style (no semicolons in the reference app) is kept.
    const text = index.getFullText()
    index.replaceWithText(`${text}${text === '' || text.endsWith('\n') ? '' : '\n'}export { ${name} } from './${name}'\n`)
    return
  }
  const config = project.getSourceFile(path.join(root, 'koyalite.ts'))
  const tables = config && callsNamed(config, 'defineConfig')[0]?.getArguments()[0]
  const listed = tables && Node.isObjectLiteralExpression(tables) ? tables.getProperty('tables') : undefined
  const object = listed && Node.isPropertyAssignment(listed) ? listed.getInitializer() : undefined
  if (!config || !object || !Node.isObjectLiteralExpression(object)) throw notFound('Found neither schema/index.ts nor `tables: { … }` in defineConfig to list the new table in.')
  object.addShorthandPropertyAssignment({ name })
  const imports = config.getImportDeclarations()
  config.insertText(imports.length > 0 ? imports[imports.length - 1]!.getEnd() : 0, `${imports.length > 0 ? '\n' : ''}import { ${name} } from './schema/${name}'${imports.length > 0 ? '' : '\n'}`)
}

/** The `{ read, create, update, delete }` objects of a table in every `policies(…)` call. */
function tablePolicyObjects(project: Project, tableName: string): ObjectLiteralExpression[] {
  const found: ObjectLiteralExpression[] = []
  for (const rules of policyCalls(project)) {
    const entry = rules.getProperty(tableName)
    const value = entry && Node.isPropertyAssignment(entry) ? entry.getInitializer() : undefined
    if (value && Node.isObjectLiteralExpression(value)) found.push(value)
  }
  return found
}

function policyCalls(project: Project): ObjectLiteralExpression[] {
  return project.getSourceFiles().flatMap((file) =>
    callsNamed(file, 'policies').flatMap((call) => {
      const rules = call.getArguments()[1]
      return rules && Node.isObjectLiteralExpression(rules) ? [rules] : []
    }),
  )
}

function editPolicy(project: Project, tableName: string, operation: string, source: string): void {
  if (!findTable(project, tableName)) tableOrThrow(project, tableName)
  const [rules] = tablePolicyObjects(project, tableName)
  const text = source.trim()
  if (rules) {
    const existing = rules.getProperty(operation)
    if (existing && Node.isPropertyAssignment(existing)) existing.setInitializer(text)
    else if (existing) throw invalid(`The ${operation} rule of "${tableName}" is not written as \`${operation}: …\`; edit it in your editor.`)
    else rules.addPropertyAssignment({ name: operation, initializer: text })
    return
  }
  // No rules for the table yet: a new entry in the policies(…) call of policies/<table>.ts, else the first one.
  const calls = policyCalls(project)
  const preferred = calls.find((c) => path.basename(c.getSourceFile().getFilePath(), '.ts') === tableName) ?? calls[0]
  if (!preferred) throw notFound('No `policies(schema, { … })` call in koyalite.ts, schema/ or policies/ to add the rule to.', 'Add one (see docs/policies.md), then edit its rules from Studio.')
  preferred.addPropertyAssignment({ name: tableName, initializer: `{\n    ${operation}: ${text},\n  }` })
}

/**
 * `indexes: [['a', 'b']]` (or `{ columns: ['a', 'b'], unique: true }`) in the table's options,
 * made when the table has none: the migration creates the index.
 */
function addIndex(project: Project, tableName: string, columns: readonly string[], unique: boolean): void {
  const call = findTableCall(project, tableName)
  const columnsObject = tableOrThrow(project, tableName)
  for (const column of columns) {
    if (!columnsObject.getProperty(column)) throw notFound(`Table "${tableName}" has no column "${column}" written as \`${column}: t.…()\`.`)
  }
  if (new Set(columns).size !== columns.length) throw invalid(`An index names each column once: ${columns.join(', ')}.`)
  const list = `[${columns.map((c) => `'${c}'`).join(', ')}]`
  const entry = unique ? `{ columns: ${list}, unique: true }` : list
  const options = call!.getArguments()[2]
  if (options === undefined) {
    call!.addArgument(`{ indexes: [${entry}] }`)
    return
  }
  const notLiteral = () => invalid(`The options of table "${tableName}" are not written as \`{ indexes: [ … ] }\`; add the index in your editor.`)
  if (!Node.isObjectLiteralExpression(options)) throw notLiteral()
  const indexes = options.getProperty('indexes')
  if (indexes === undefined) {
    options.insertPropertyAssignment(0, { name: 'indexes', initializer: `[${entry}]` })
    return
  }
  const array = Node.isPropertyAssignment(indexes) ? indexes.getInitializer() : undefined
  if (array === undefined || !Node.isArrayLiteralExpression(array)) throw notLiteral()
  for (const element of array.getElements()) {
    if (sameColumns(indexColumns(element), columns)) throw invalid(`Table "${tableName}" already has an index on (${columns.join(', ')}).`)
  }
  array.addElement(entry)
}

/** The `indexes: [ … ]` entry on exactly `columns`, with its array (404 when the code has none). */
function findIndexEntry(project: Project, tableName: string, columns: readonly string[]): { array: ArrayLiteralExpression; element: Expression; options: ObjectLiteralExpression } {
  const call = findTableCall(project, tableName)
  tableOrThrow(project, tableName)
  const missing = () => notFound(`Table "${tableName}" has no index on (${columns.join(', ')}) in its \`indexes: [ … ]\` option.`, 'An index made by a column (`.unique()`, a reference) is changed on that column, in your editor.')
  const options = call!.getArguments()[2]
  if (options === undefined || !Node.isObjectLiteralExpression(options)) throw missing()
  const indexes = options.getProperty('indexes')
  const array = indexes !== undefined && Node.isPropertyAssignment(indexes) ? indexes.getInitializer() : undefined
  if (array === undefined || !Node.isArrayLiteralExpression(array)) throw missing()
  const element = array.getElements().find((e) => sameColumns(indexColumns(e), columns))
  if (element === undefined) throw missing()
  return { array, element, options }
}

/**
 * An index redefined in place (its columns, its uniqueness). An index's name is derived from its
 * table and columns (`tasks_projectId_status_idx`), so this is how an index is renamed: the
 * migration drops the old one and creates the new one.
 */
function editIndex(project: Project, tableName: string, columns: readonly string[], to: readonly string[], unique: boolean): void {
  const { array, element } = findIndexEntry(project, tableName, columns)
  const columnsObject = tableOrThrow(project, tableName)
  for (const column of to) {
    if (!columnsObject.getProperty(column)) throw notFound(`Table "${tableName}" has no column "${column}" written as \`${column}: t.…()\`.`)
  }
  if (new Set(to).size !== to.length) throw invalid(`An index names each column once: ${to.join(', ')}.`)
  if (array.getElements().some((e) => e !== element && sameColumns(indexColumns(e), to))) throw invalid(`Table "${tableName}" already has an index on (${to.join(', ')}).`)
  const list = `[${to.map((c) => `'${c}'`).join(', ')}]`
  element.replaceWithText(unique ? `{ columns: ${list}, unique: true }` : list)
}

/**
 * The `indexes` entry removed (the `indexes` option too when it was the last one, and the options
 * argument when that leaves it empty): the migration drops the index, the rows stay.
 */
function dropIndex(project: Project, tableName: string, columns: readonly string[]): void {
  const { array, element, options } = findIndexEntry(project, tableName, columns)
  if (array.getElements().length > 1) {
    array.removeElement(element)
    return
  }
  options.getPropertyOrThrow('indexes').remove()
  if (options.getProperties().length === 0) findTableCall(project, tableName)!.removeArgument(options)
}

/** The column names of one `indexes` entry as written (`['a', 'b']` or `{ columns: ['a', 'b'] }`). */
function indexColumns(element: Expression): string[] | undefined {
  let list: Node | undefined = element
  if (Node.isObjectLiteralExpression(element)) {
    const property = element.getProperty('columns')
    list = property && Node.isPropertyAssignment(property) ? property.getInitializer() : undefined
  }
  if (list === undefined || !Node.isArrayLiteralExpression(list)) return undefined
  return list.getElements().map((e) => (Node.isStringLiteral(e) ? e.getLiteralValue() : e.getText()))
}

function sameColumns(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((column, i) => column === b[i])
}

