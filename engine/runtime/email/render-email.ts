import { KoyaError } from '../../shared/errors.ts'
import type { AppTemplate } from './app-templates.ts'
import type { EmailData, EmailTemplate } from './template-names.ts'

export type { EmailData, EmailTemplate } from './template-names.ts'

/** A rendered email: what the outbox stores and a sender (Resend) sends. */
export interface RenderedEmail {
  readonly subject: string
  readonly html: string
  readonly text: string
}

type Renderer = {
  readonly components: typeof import('@react-email/components')
  readonly render: typeof import('@react-email/render').render
  readonly buildEmail: typeof import('./templates.ts').buildEmail
}

let renderer: Promise<Renderer> | undefined

/**
 * React, React Email and react-dom/server take a noticeable time to load and hold memory; a
 * server that never sends an email should not pay for them at start. Loaded once, on the first
 * email (the auth templates with them: templates.ts imports React).
 */
function loadRenderer(): Promise<Renderer> {
  renderer ??= Promise.all([import('@react-email/components'), import('@react-email/render'), import('./templates.ts')]).then(([components, { render }, { buildEmail }]) => ({ components, render, buildEmail }))
  return renderer
}

/**
 * Render one of the auth emails to a subject, HTML and plain text. Every value in `data` is
 * escaped by React (text and attributes); the subject has control characters removed, so an app
 * name cannot add a header line.
 *
 * @example
 * const email = await renderEmail('verify-email', { appName: 'Koya Tasks', email: 'ada@example.com', link: 'https://tasks.example.com/auth/verify-email?token=…' })
 * enqueueEmail(db, { kind: 'verify-email', to: 'ada@example.com', ...email }, new Date())
 */
export async function renderEmail(template: EmailTemplate, data: EmailData): Promise<RenderedEmail> {
  checkLink(data.link)
  const { components, render, buildEmail } = await loadRenderer()
  const { subject, element } = buildEmail(components, template, data)
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
  return { subject: oneLine(subject), html, text }
}

/**
 * Render one of the app's templates (email.templates) with the props the message carries. React
 * escapes every prop it prints; the subject is the message's own.
 *
 * @example
 * const { html, text } = await renderAppTemplate(await templates.load('welcome'), { name: 'Ada' })
 */
export async function renderAppTemplate(component: AppTemplate, props: Readonly<Record<string, unknown>>): Promise<{ html: string; text: string }> {
  const { render } = await loadRenderer()
  const { createElement } = await import('react')
  const element = createElement(component, { ...props })
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
  return { html, text }
}

/** The link goes into an href: only http(s) URLs (a javascript: URL in an email is an attack). */
function checkLink(link: string): void {
  let url: URL | undefined
  try {
    url = new URL(link)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new KoyaError('KL_INT_UNEXPECTED', 'An email link is not an http(s) URL.', { hint: 'Build email links from the configured public URL.' })
  }
}

const CONTROL = /[\u0000-\u001f\u007f]+/g

function oneLine(text: string): string {
  return text.replace(CONTROL, ' ').trim()
}
