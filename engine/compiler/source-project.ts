import { existsSync } from 'node:fs'
import path from 'node:path'
import { Project, ts, type SourceFile } from 'ts-morph'
import { KoyaError, type SourceLocation } from '../shared/errors.ts'

/** Compiler options for a project without its own tsconfig.json: what `koyalite init` writes. */
const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: [],
}

export interface SourceProject {
  readonly project: Project
  /** The definition's own files (the config and what it imports, outside node_modules). */
  readonly files: readonly SourceFile[]
  /** Syntax errors: the module cannot be imported when there are any. */
  readonly syntaxErrors: readonly KoyaError[]
  readonly typeErrors: readonly KoyaError[]
}

function createProject(root: string): Project {
  const tsconfig = path.join(root, 'tsconfig.json')
  return existsSync(tsconfig)
    ? new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true, compilerOptions: { noEmit: true } })
    : new Project({ compilerOptions: DEFAULT_COMPILER_OPTIONS })
}

/** A location for a position in a file, relative to the project root. */
export function locationOf(root: string, file: SourceFile, position: number): SourceLocation {
  const { line, column } = file.getLineAndColumnAtPos(position)
  return { file: relativePath(root, file.getFilePath()), line, column }
}

export function relativePath(root: string, filePath: string): string {
  return path.relative(root, filePath).split(path.sep).join('/')
}

/**
 * Load the config file and everything it imports, and type-check them. Only the project's own
 * files are reported on; libraries are trusted (skipLibCheck).
 */
export function loadSourceProject(root: string, configFile: string, typeCheck = true, previous?: Project): SourceProject {
  const project = previous ?? createProject(root)
  if (previous) {
    // Reuse the project: the standard library and the packages' declarations stay parsed; the
    // definition's own files (small) are read again from the config, so a file no longer
    // imported is no longer checked.
    for (const file of previous.getSourceFiles()) {
      if (!file.getFilePath().includes('/node_modules/') && !file.isDeclarationFile()) previous.removeSourceFile(file)
    }
  }
  project.addSourceFileAtPath(configFile)
  project.resolveSourceFileDependencies()

  const files = project
    .getSourceFiles()
    .filter((file) => !file.getFilePath().includes('/node_modules/') && !file.isDeclarationFile())
    .sort((a, b) => a.getFilePath().localeCompare(b.getFilePath()))

  const syntaxErrors: KoyaError[] = []
  const typeErrors: KoyaError[] = []
  const program = project.getProgram().compilerObject
  for (const file of files) {
    const compilerFile = file.compilerNode
    for (const diagnostic of program.getSyntacticDiagnostics(compilerFile)) {
      syntaxErrors.push(toKoyaError(root, file, diagnostic, 'KL_DEF_SYNTAX'))
    }
  }
  if (syntaxErrors.length === 0 && typeCheck) {
    for (const file of files) {
      for (const diagnostic of program.getSemanticDiagnostics(file.compilerNode)) {
        typeErrors.push(toKoyaError(root, file, diagnostic, 'KL_DEF_TYPE_ERROR'))
      }
    }
  }
  return { project, files, syntaxErrors, typeErrors }
}

function toKoyaError(root: string, file: SourceFile, diagnostic: ts.Diagnostic, code: 'KL_DEF_SYNTAX' | 'KL_DEF_TYPE_ERROR'): KoyaError {
  // TypeScript names modules by absolute path (`typeof import("/home/…/schema/index")`).
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n').replaceAll(`${root}/`, './')
  return new KoyaError(code, `${message} (TS${diagnostic.code})`, {
    at: locationOf(root, file, diagnostic.start ?? 0),
  })
}
