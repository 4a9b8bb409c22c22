import type { ProjectIR } from '../ir/project-ir.ts'
import type { GeneratedFile } from '../shared/generated-file.ts'

export interface GenerateContext {
  readonly ir: ProjectIR
  /** The config file, relative to the project root: named in every banner. */
  readonly source: string
}

/** One artifact: a pure function from the IR to files. */
export interface Generator {
  readonly name: string
  generate(context: GenerateContext): GeneratedFile[]
}
