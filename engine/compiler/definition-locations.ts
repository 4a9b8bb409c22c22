import { Node, SyntaxKind, type CallExpression, type ObjectLiteralExpression, type SourceFile } from 'ts-morph'
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
  /** The argument of each modifier call: `default` → the value, `ref` → the target, … */
  readonly modifiers: ReadonlyMap<string, SourceLocation>
}

export interface TableLocations {
  readonly at: SourceLocation
  readonly columns: ReadonlyMap<string, ColumnLocations>
  /** The `indexes` option's elements, in order. */
  readonly indexes: readonly SourceLocation[]
  /** `search.text` / `search.semantic` fields, keyed `text:title`. */
  readonly search: ReadonlyMap<string, SourceLocation>
  /** Other table options by key (`renamedFrom`). */
  readonly options: ReadonlyMap<string, SourceLocation>
}

export interface DefinitionLocations {
  /** The `defineConfig(…)` call, else the top of the config file. */
  readonly config: SourceLocation
  /** defineConfig's properties by key, and `roles:<name>` for each role. */
  readonly configKeys: ReadonlyMap<string, SourceLocation>
  /** Each table name maps to every place it is declared (more than one is a duplicate). */
  readonly tables: ReadonlyMap<string, readonly TableLocations[]>
}

export function findDefinitionLocations(root: string, files: readonly SourceFile[], configFile: SourceFile): DefinitionLocations {
  let config: SourceLocation = locationOf(root, configFile, 0)
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
        const arg = node.getArguments()[0]
        if (arg && Node.isObjectLiteralExpression(arg)) readConfigObject(root, file, arg, configKeys)
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
  const columnsArg = isUsers ? args[0] : args[1]
  const optionsArg = isUsers ? args[1] : args[2]
  const columns = new Map<string, ColumnLocations>()
  if (columnsArg && Node.isObjectLiteralExpression(columnsArg)) {
    for (const property of columnsArg.getProperties()) {
      if (!Node.isPropertyAssignment(property)) continue
      const initializer = property.getInitializer()
      columns.set(property.getName(), {
        at: locationOf(root, file, property.getStart()),
        modifiers: initializer ? readModifierCalls(root, file, initializer) : new Map(),
      })
    }
  }
  const indexes: SourceLocation[] = []
  const search = new Map<string, SourceLocation>()
  const options = new Map<string, SourceLocation>()
  if (optionsArg && Node.isObjectLiteralExpression(optionsArg)) {
    for (const property of optionsArg.getProperties()) {
      if (!Node.isPropertyAssignment(property)) continue
      const key = property.getName()
      const value = property.getInitializer()
      options.set(key, locationOf(root, file, property.getStart()))
      if (key === 'indexes' && value && Node.isArrayLiteralExpression(value)) {
        for (const element of value.getElements()) indexes.push(locationOf(root, file, element.getStart()))
      }
      if (key === 'search' && value && Node.isObjectLiteralExpression(value)) {
        for (const kind of value.getProperties()) {
          if (!Node.isPropertyAssignment(kind)) continue
          const list = kind.getInitializer()
          if (!list || !Node.isArrayLiteralExpression(list)) continue
          for (const element of list.getElements()) {
            if (Node.isStringLiteral(element)) search.set(`${kind.getName()}:${element.getLiteralValue()}`, locationOf(root, file, element.getStart()))
          }
        }
      }
    }
  }
  const at = locationOf(root, file, (nameArg ?? call).getStart())
  return { name, locations: { at, columns, indexes, search, options } }
}

/** `t.text().min(1).default('x')` → min → loc of `1`, default → loc of `'x'`, text → loc of `t.text`. */
function readModifierCalls(root: string, file: SourceFile, expression: Node): Map<string, SourceLocation> {
  const modifiers = new Map<string, SourceLocation>()
  let node: Node | undefined = expression
  while (node && Node.isCallExpression(node)) {
    const callee = node.getExpression()
    const arg = node.getArguments()[0]
    if (Node.isPropertyAccessExpression(callee)) {
      modifiers.set(callee.getName(), locationOf(root, file, (arg ?? callee.getNameNode()).getStart()))
      node = callee.getExpression()
    } else {
      node = undefined
    }
  }
  return modifiers
}

function readConfigObject(root: string, file: SourceFile, object: ObjectLiteralExpression, keys: Map<string, SourceLocation>): void {
  for (const property of object.getProperties()) {
    if (!Node.isPropertyAssignment(property) && !Node.isShorthandPropertyAssignment(property)) continue
    keys.set(property.getName(), locationOf(root, file, property.getStart()))
    const value = Node.isPropertyAssignment(property) ? property.getInitializer() : undefined
    if (property.getName() === 'roles' && value && Node.isArrayLiteralExpression(value)) {
      for (const element of value.getElements()) {
        if (element.getKind() === SyntaxKind.StringLiteral && Node.isStringLiteral(element)) {
          keys.set(`roles:${element.getLiteralValue()}`, locationOf(root, file, element.getStart()))
        }
      }
    }
  }
}
