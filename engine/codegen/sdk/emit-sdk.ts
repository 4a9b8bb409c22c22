import type { ProjectIR } from '../../ir/project-ir.ts'
import { banner, stableJson } from '../../shared/generated-file.ts'
import type { Generator } from '../generator.ts'
import { routeGroupsOf } from '../route-groups.ts'
import { privacyTypesSource } from './privacy-types-source.ts'
import { adminTypesSource, APP_AUTH_TYPE_NAMES, authMembers, authTypesSource, printAuthSections, reservedMemberNames } from './auth-client-source.ts'
import { exampleCalls, exampleTable } from './examples.ts'
import { printJobTypes } from './job-types-source.ts'
import { printClient, printSearchableTables, realtimeMembers, tableMembers, type ClientMember } from './print-client.ts'
import { printErrorCodes } from './print-error-codes.ts'
import { printReadme, SDK_IMPORT_LINE } from './print-readme.ts'
import { printTableTypes } from './print-table-types.ts'
import { queryTypesSource } from './query-types-source.ts'
import { realtimeClientSource } from './realtime-client-source.ts'
import { storageClientSource, storageMembers } from './storage-client-source.ts'
import { tableClientSource } from './table-client-source.ts'
import { transportSource } from './transport-source.ts'

/**
 * generated/sdk/: the typed client (index.ts, one self-contained file with no imports), its
 * package.json and README.md. The app's types are printed from the IR; the query types, the
 * table client and the transport are the same for every app.
 */
export const sdkGenerator: Generator = {
  name: 'sdk',
  generate: ({ ir, source }) => {
    // The IR lists tables by name already; sorting here keeps the output stable whatever the input order.
    const sorted: ProjectIR = { ...ir, tables: [...ir.tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) }
    return [
      { path: 'generated/sdk/index.ts', contents: printSdk(sorted, source) },
      { path: 'generated/sdk/package.json', contents: printPackageJson(sorted, source) },
      { path: 'generated/sdk/README.md', contents: printReadme(sorted, source, sdkPackageName(sorted)) },
    ]
  },
}

/** The names printAppAuthTypes declares, whatever the app. */
const AUTH_TYPES_SHAPE = APP_AUTH_TYPE_NAMES.map((name) => `export type ${name} = never`).join('\n')

/**
 * The top-level names index.ts declares besides the tables' types, read from the code that
 * declares them. A table whose types would take one is refused by the compiler, where it is
 * written (SDK_TYPE_NAMES in shared/naming.ts, which a test keeps equal to the type-like ones here).
 */
export const SDK_DECLARED_NAMES: ReadonlySet<string> = new Set(
  [printTableTypes([]), printSearchableTables({ tables: [] } as unknown as ProjectIR), printClient('', []), printErrorCodes(), queryTypesSource, tableClientSource, realtimeClientSource, transportSource, AUTH_TYPES_SHAPE, authTypesSource, privacyTypesSource, adminTypesSource, printJobTypes({}), 'class AuthClient', 'class AdminClient'].flatMap((code) =>
    [...code.matchAll(/^(?:export )?(?:type|interface|class|function|const) (\w+)/gm)].map((match) => match[1]!),
  ),
)

/**
 * The members of the client object. The extension point for what comes next: the auth, storage,
 * functions and search namespaces each add a member here and their declarations as a section in
 * printSdk, sending their requests through the same KoyaTransport.
 */
function clientMembers(ir: ProjectIR): ClientMember[] {
  return [...tableMembers(ir), ...authMembers(routeGroupsOf(ir)), ...realtimeMembers(), ...storageMembers(ir)]
}

function printSdk(ir: ProjectIR, source: string): string {
  const sections = [
    banner(source) + printModuleDoc(ir),
    printTableTypes(ir.tables),
    printSearchableTables(ir),
    printClient(ir.name, clientMembers(ir)),
    queryTypesSource,
    tableClientSource,
    realtimeClientSource,
    // Only with buckets, so an app without them has the SDK it had.
    ...((ir.buckets ?? []).length > 0 ? [storageClientSource] : []),
    printJobTypes(ir),
    ...printAuthSections(ir, routeGroupsOf(ir)),
    printErrorCodes(),
    transportSource,
  ]
  return sections.map((s) => s.trim()).join('\n\n') + '\n'
}

function printModuleDoc(ir: ProjectIR): string {
  const example = exampleTable(ir.tables)
  return [
    '/**',
    ` * The typed client of ${ir.name}. createClient({ url, token }) gives one property per table, each`,
    ' * with list, get, count, create, update, updateMany, delete and deleteMany, typed from the schema.',
    ' * No dependencies: it needs only fetch, and runs in browsers, Node and Deno. See README.md.',
    ' *',
    ' * @example',
    ` * ${SDK_IMPORT_LINE}`,
    " * const koya = createClient({ url: 'http://127.0.0.1:3000', token })",
    ...(example ? exampleCalls(example).map((line) => ` * ${line}`) : []),
    ' */',
  ].join('\n')
}

function printPackageJson(ir: ProjectIR, source: string): string {
  return stableJson({
    '//': banner(source).slice(3).trimEnd(),
    name: sdkPackageName(ir),
    version: '0.0.0',
    private: true,
    description: `The typed client of the ${ir.name} API, generated by KoyaLite. No dependencies; runs in browsers, Node and Deno.`,
    type: 'module',
    main: './index.ts',
    types: './index.ts',
    exports: { '.': './index.ts' },
    sideEffects: false,
    dependencies: {},
  })
}

/** The SDK's npm package name: `koya-tasks-sdk`. */
function sdkPackageName(ir: ProjectIR): string {
  return `${packageSlug(ir.name)}-sdk`
}

/** An npm package name part: lower case letters, digits and dashes. */
function packageSlug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'app'
  )
}
