import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ComponentType } from 'react'
import { EMAIL_TEMPLATES_BUNDLE_PATH, type ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'

/**
 * The app's own React Email templates (email.templates): compiled by `koyalite generate` into
 * generated/emails/index.js (plain JS, JSX already compiled), imported on the first email or
 * preview that needs one, never at start and never through TypeScript.
 */

/** A template component as bundled; `PreviewProps` (React Email's convention) feed the dev preview. */
export type AppTemplate = ComponentType<Record<string, unknown>> & { readonly PreviewProps?: Record<string, unknown> }

export interface AppTemplates {
  /** The template names the model declares, sorted. */
  readonly names: readonly string[]
  has(name: string): boolean
  /** The component, importing the bundle on the first call. */
  load(name: string): Promise<AppTemplate>
}

/**
 * The app templates of `model`, loaded from `root`'s generated/emails/index.js when first used.
 *
 * @throws KoyaError KL_DEF_GENERATED_STALE (from `load`) when the bundle is missing or lacks a template.
 *
 * @example
 * const templates = appTemplates(root, model)
 * const Welcome = await templates.load('welcome')
 */
export function appTemplates(root: string | undefined, model: ProjectIR, version?: string): AppTemplates {
  const names = (model.email?.templates ?? []).map((t) => t.name)
  const known = new Set(names)
  let bundle: Promise<Readonly<Record<string, unknown>>> | undefined
  const importBundle = async (): Promise<Readonly<Record<string, unknown>>> => {
    const file = root === undefined ? undefined : path.join(root, ...EMAIL_TEMPLATES_BUNDLE_PATH.split('/'))
    if (file === undefined || !existsSync(file)) throw stale(`${EMAIL_TEMPLATES_BUNDLE_PATH} is missing, but the model has email templates.`)
    process.setSourceMapsEnabled(true)
    const url = pathToFileURL(file).href + (version === undefined ? '' : `?v=${encodeURIComponent(version)}`)
    const module = (await import(url)) as { templates?: Readonly<Record<string, unknown>> }
    if (typeof module.templates !== 'object' || module.templates === null) throw stale(`${EMAIL_TEMPLATES_BUNDLE_PATH} exports no templates table.`)
    return module.templates
  }
  return {
    names,
    has: (name) => known.has(name),
    async load(name) {
      bundle ??= importBundle()
      // A failed import is tried again on the next email (the file may be regenerated meanwhile).
      const templates = await bundle.catch((error: unknown) => {
        bundle = undefined
        throw error
      })
      const component = templates[name]
      if (typeof component !== 'function') throw stale(`${EMAIL_TEMPLATES_BUNDLE_PATH} has no template "${name}" (or its default export is not a component).`)
      return component as AppTemplate
    },
  }
}

function stale(message: string): KoyaError {
  return new KoyaError('KL_DEF_GENERATED_STALE', message, { hint: 'Run `koyalite generate` (each template file must default-export its component).' })
}
