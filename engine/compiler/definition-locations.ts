import { Node, type CallExpression, type ObjectLiteralExpression, type SourceFile } from 'ts-morph'
import type { SourceLocation } from '../shared/errors.ts'
import { locationOf } from './source-project.ts'

/**
 * Where each definition was written, found by reading the AST: `table('tasks', { … })` calls,
 * their column properties, modifier calls and options. The imported Defs are plain data, so this
 * is how a problem found in them is reported at file:line:col.
 *
 * Definitions built dynamically (in a loop, from a helper) are not found here; their problems
 * fall back to the nearest enclosing location that is (the table, or the config).
 */
export interface ColumnLocations {
  readonly at: SourceLocation
  /**
   * The argument of each modifier call: `default` → the value, `ref` → the target, …; each
   * property of an options object argument: `ref.onDelete` → that property; and each enum value:
   * `enum.todo`.
   */
  readonly modifiers: ReadonlyMap<string, SourceLocation>
}

export interface TableLocations {
  readonly at: SourceLocation
  readonly columns: ReadonlyMap<string, ColumnLocations>
  /** The `indexes` option's elements, in order. */
  readonly indexes: readonly SourceLocation[]
  /** The column names written in `indexes`, keyed by the element's position: `0:projectId`. */
  readonly indexColumns: ReadonlyMap<string, SourceLocation>
  /** `search.text` / `search.semantic` fields, keyed `text:title`. */
  readonly search: ReadonlyMap<string, SourceLocation>
  /** Other table options by key (`renamedFrom`). */
  readonly options: ReadonlyMap<string, SourceLocation>
}

export interface DefinitionLocations {
  /** The `defineConfig(…)` call, else the config file's default export, else its top. */
  readonly config: SourceLocation
  /**
   * defineConfig's properties by dotted path (`auth`, `auth.session.idleTimeout`), and
   * `roles:<name>` for each role.
   */
  readonly configKeys: ReadonlyMap<string, SourceLocation>
  /** Each table name maps to every place it is declared (more than one is a duplicate). */
  readonly tables: ReadonlyMap<string, readonly TableLocations[]>
}

/** No definition found: every problem is placed at the top of the config file. */
export function configOnlyLocations(configFile: string): DefinitionLocations {
  return { config: { file: configFile, line: 1, column: 1 }, configKeys: new Map(), tables: new Map() }
}

export function findDefinitionLocations(root: string, files: readonly SourceFile[], configFile: SourceFile): DefinitionLocations {
  const defaultExport = configFile.getExportAssignment((assignment) => !assignment.isExportEquals())
  let config: SourceLocation = locationOf(root, configFile, defaultExport?.getStart() ?? 0)
  const configKeys = new Map<string, SourceLocation>()
  const tables = new Map<string, TableLocations[]>()

  for (const file of files) {
    file.forEachDescendant((node) => {
      if (!Node.isCallExpression(node)) return
      const callee = node.getExpression().getText()
      if (callee === 'table' || callee === 'table.users') {
        const found = readTableCall(root, file, node, callee === 'table.users')
        if (found) tables.set(found.name, [...(tables.get(found.name) ?? []), found.locations])
      } else if (callee === 'defineConfig') {
        config = locationOf(root, file, node.getStart())
        const arg = unwrap(node.getArguments()[0])
        if (arg && Node.isObjectLiteralExpression(arg)) readConfigObject(root, file, arg, '', configKeys)
      }
    })
  }
  return { config, configKeys, tables }
}

function readTableCall(root: string, file: SourceFile, call: CallExpression, isUsers: boolean): { name: string; locations: TableLocations } | undefined {
  const args = call.getArguments()
  const nameArg = isUsers ? undefined : args[0]
  let name = 'users'
  if (!isUsers) {
    if (!nameArg || !Node.isStringLiteral(nameArg)) return undefined
    name = nameArg.getLiteralValue()
  }
  const columnsArg = unwrap(isUsers ? args[0] : args[1])
  const optionsArg = unwrap(isUsers ? args[1] : args[2])
  const columns = new Map<string, ColumnLocations>()
  if (columnsArg && Node.isObjectLiteralExpression(columnsArg)) {
    for (const property of columnsArg.getProperties()) {
      if (!Node.isPropertyAssignment(property)) continue
      const initializer = property.getInitializer()
      columns.set(propertyName(property), {
        at: locationOf(root, file, property.getStart()),
        modifiers: initializer ? readModifierCalls(root, file, initializer) : new Map(),
      })
    }
  }
  const indexes: SourceLocation[] = []
  const indexColumns = new Map<string, SourceLocation>()
  const search = new Map<string, SourceLocation>()
  const options = new Map<string, SourceLocation>()
  if (optionsArg && Node.isObjectLiteralExpression(optionsArg)) {
    for (const property of optionsArg.getProperties()) {
      if (!Node.isPropertyAssignment(property)) continue
      const key = propertyName(property)
      const value = unwrap(property.getInitializer())
      options.set(key, locationOf(root, file, property.getStart()))
      if (key === 'indexes' && value && Node.isArrayLiteralExpression(value)) {
        for (const [position, element] of value.getElements().entries()) {
          indexes.push(locationOf(root, file, element.getStart()))
          for (const [column, at] of readStringList(root, file, indexColumnList(element))) indexColumns.set(`${position}:${column}`, at)
        }
      }
      if (key === 'search' && value && Node.isObjectLiteralExpression(value)) {
        for (const kind of value.getProperties()) {
          if (!Node.isPropertyAssignment(kind)) continue
          for (const [field, at] of readStringList(root, file, unwrap(kind.getInitializer()))) search.set(`${propertyName(kind)}:${field}`, at)
        }
      }
    }
  }
  const at = locationOf(root, file, (nameArg ?? call).getStart())
  return { name, locations: { at, columns, indexes, indexColumns, search, options } }
}

/** An `indexes` element's column list: `['a', 'b']` or `{ columns: ['a', 'b'] }`. */
function indexColumnList(element: Node): Node | undefined {
  const node = unwrap(element)
  if (!node || !Node.isObjectLiteralExpression(node)) return node
  const columns = node.getProperty('columns')
  return columns && Node.isPropertyAssignment(columns) ? unwrap(columns.getInitializer()) : undefined
}

/** The string literals of an array literal, each with its location. */
function readStringList(root: string, file: SourceFile, list: Node | undefined): Map<string, SourceLocation> {
  const found = new Map<string, SourceLocation>()
  if (!list || !Node.isArrayLiteralExpression(list)) return found
  for (const element of list.getElements()) {
    const literal = unwrap(element)
    if (literal && Node.isStringLiteral(literal)) found.set(literal.getLiteralValue(), locationOf(root, file, literal.getStart()))
  }
  return found
}

/** `x as any`, `x satisfies T`, `(x)`, `x!`: the expression inside, where the definition is. */
function unwrap(node: Node | undefined): Node | undefined {
  let current = node
  while (
    current &&
    (Node.isAsExpression(current) || Node.isSatisfiesExpression(current) || Node.isParenthesizedExpression(current) || Node.isNonNullExpression(current) || Node.isTypeAssertion(current))
  ) {
    current = current.getExpression()
  }
  return current
}

/** A property's name as the object has it: `'due-at': …` is "due-at", not "'due-at'". */
function propertyName(property: Node & { getNameNode(): Node; getName(): string }): string {
  const nameNode = property.getNameNode()
  return Node.isStringLiteral(nameNode) || Node.isNoSubstitutionTemplateLiteral(nameNode) || Node.isNumericLiteral(nameNode) ? nameNode.getLiteralText() : property.getName()
}

/** `t.text().min(1).default('x')` → min → loc of `1`, default → loc of `'x'`, text → loc of `t.text`. */
function readModifierCalls(root: string, file: SourceFile, expression: Node): Map<string, SourceLocation> {
  const modifiers = new Map<string, SourceLocation>()
  let node: Node | undefined = unwrap(expression)
  while (node && Node.isCallExpression(node)) {
    const callee = node.getExpression()
    const arg = node.getArguments()[0]
    if (Node.isPropertyAccessExpression(callee)) {
      const name = callee.getName()
      modifiers.set(name, locationOf(root, file, (arg ?? callee.getNameNode()).getStart()))
      // `t.enum(['a', 'b', 'a'])`: each value (the last of a repeated one), as `enum.a`.
      if (name === 'enum') for (const [value, at] of readStringList(root, file, unwrap(arg))) modifiers.set(`enum.${value}`, at)
      const options = unwrap(node.getArguments()[1])
      if (options && Node.isObjectLiteralExpression(options)) {
        for (const property of options.getProperties()) {
          if (Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property)) {
            modifiers.set(`${name}.${propertyName(property)}`, locationOf(root, file, property.getStart()))
          }
        }
      }
      node = unwrap(callee.getExpression())
    } else {
      node = undefined
    }
  }
  return modifiers
}

function readConfigObject(root: string, file: SourceFile, object: ObjectLiteralExpression, prefix: string, keys: Map<string, SourceLocation>): void {
  for (const property of object.getProperties()) {
    if (!Node.isPropertyAssignment(property) && !Node.isShorthandPropertyAssignment(property)) continue
    const key = prefix + propertyName(property)
    keys.set(key, locationOf(root, file, property.getStart()))
    const value = Node.isPropertyAssignment(property) ? unwrap(property.getInitializer()) : property.getNameNode()
    if (key === 'roles') {
      for (const [role, at] of readStringList(root, file, value)) keys.set(`roles:${role}`, at)
    } else if (key !== 'tables' && value && Node.isObjectLiteralExpression(value)) {
      readConfigObject(root, file, value, `${key}.`, keys)
    } else if (/^(jobs|webhooks|functions)\.[^.]+$/.test(key)) {
      const options = handlerOptions(Node.isShorthandPropertyAssignment(property) ? property : value)
      if (options) readConfigObject(root, options.getSourceFile(), options, `${key}.`, keys)
    }
  }
}

const HANDLER_CALLEES = new Set(['job', 'webhook', 'fn'])

/**
 * The options object of `job({ … })`, `webhook({ … })` or `fn({ … })` written as a value in
 * `jobs`, `webhooks` or `functions`: inline, or the variable a name refers to, in this file or
 * one it imports (`jobs: { digest }` with `export const digest = job({ … })` in jobs/digest.ts).
 * Others fall back to the key's location.
 */
function handlerOptions(value: Node | undefined): ObjectLiteralExpression | undefined {
  let node = value
  if (node && (Node.isIdentifier(node) || Node.isShorthandPropertyAssignment(node))) {
    // A name, followed through imports to the variable it was declared as.
    let symbol = Node.isShorthandPropertyAssignment(node) ? node.getValueSymbol() : node.getSymbol()
    if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol()
    const declaration = symbol?.getDeclarations().find((d) => Node.isVariableDeclaration(d))
    node = declaration && Node.isVariableDeclaration(declaration) ? unwrap(declaration.getInitializer()) : undefined
  }
  if (!node || !Node.isCallExpression(node) || !HANDLER_CALLEES.has(node.getExpression().getText())) return undefined
  const options = unwrap(node.getArguments()[0])
  return options && Node.isObjectLiteralExpression(options) ? options : undefined
}
