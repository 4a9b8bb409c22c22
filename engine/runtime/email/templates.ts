import { createElement as h, type CSSProperties, type ReactElement } from 'react'
import type * as Components from '@react-email/components'
import type { EmailData, EmailTemplate } from './template-names.ts'

/** A template's subject and its element tree, built from the React Email components. */
export interface EmailContent {
  readonly subject: string
  readonly element: ReactElement
}

type ComponentSet = Pick<typeof Components, 'Html' | 'Head' | 'Preview' | 'Body' | 'Container' | 'Heading' | 'Text' | 'Button' | 'Link' | 'Hr'>

interface TemplateWording {
  readonly subject: (appName: string) => string
  readonly heading: string
  readonly intro: (appName: string) => string
  readonly action: string
  readonly expiry: string
  readonly ignore: string
}

/** Each template's words. A Record, so a new template does not build until it has its own. */
const WORDING: Record<EmailTemplate, TemplateWording> = {
  'verify-email': {
    subject: (appName) => `Verify your email for ${appName}`,
    heading: 'Verify your email',
    intro: (appName) => `Confirm that this address is yours to finish signing up for ${appName}.`,
    action: 'Verify email',
    expiry: 'The link works once.',
    ignore: 'If you did not sign up, ignore this email: nothing happens until the link is opened.',
  },
  'reset-password': {
    subject: (appName) => `Reset your ${appName} password`,
    heading: 'Reset your password',
    intro: (appName) => `Someone asked to reset the password of your ${appName} account. Choose a new one with the link below.`,
    action: 'Choose a new password',
    expiry: 'The link works once and expires soon.',
    ignore: 'If you did not ask for this, ignore this email: your password stays as it is.',
  },
  // Sent instead of an answer that would tell the signer-up the address has an account.
  'signup-attempt': {
    subject: (appName) => `Someone tried to sign up for ${appName} with your address`,
    heading: 'You already have an account',
    intro: (appName) => `Someone tried to create a new ${appName} account with this address, which already has one. No second account was made.`,
    action: `Sign in`,
    expiry: 'If you forgot your password, choose "Forgot password" when you sign in.',
    ignore: 'If it was not you, ignore this email: your account stays as it is.',
  },
}

const style = {
  body: { backgroundColor: '#f6f7f9', fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif', margin: 0, padding: '24px 0' },
  container: { backgroundColor: '#ffffff', borderRadius: '8px', margin: '0 auto', maxWidth: '480px', padding: '32px' },
  heading: { color: '#111827', fontSize: '22px', margin: '0 0 16px' },
  text: { color: '#374151', fontSize: '15px', lineHeight: '24px' },
  button: { backgroundColor: '#111827', borderRadius: '6px', color: '#ffffff', display: 'inline-block', fontSize: '15px', padding: '12px 20px', textDecoration: 'none' },
  small: { color: '#6b7280', fontSize: '13px', lineHeight: '20px' },
  link: { color: '#2563eb', wordBreak: 'break-all' },
} satisfies Record<string, CSSProperties>

/**
 * The element tree of a template. `c` is the React Email component set, loaded by the caller
 * (see render-email.ts: it is loaded on the first email, not when the server starts).
 */
export function buildEmail(c: ComponentSet, template: EmailTemplate, data: EmailData): EmailContent {
  const words = WORDING[template]
  const element = h(
    c.Html,
    { lang: 'en' },
    h(c.Head, null),
    h(c.Preview, null, words.intro(data.appName)),
    h(
      c.Body,
      { style: style.body },
      h(
        c.Container,
        { style: style.container },
        h(c.Heading, { as: 'h1', style: style.heading }, words.heading),
        h(c.Text, { style: style.text }, words.intro(data.appName)),
        h(c.Button, { href: data.link, style: style.button }, words.action),
        h(c.Text, { style: style.small }, 'Or open this link: ', h(c.Link, { href: data.link, style: style.link }, data.link)),
        h(c.Text, { style: style.small }, words.expiry),
        h(c.Hr, null),
        h(c.Text, { style: style.small }, `This email was sent to ${data.email} by ${data.appName}. ${words.ignore}`),
      ),
    ),
  )
  return { subject: words.subject(data.appName), element }
}
