// The auth emails' names and data: no React here, so the modules that only check a name (the
// email module, the dev preview's index) do not load React at start. templates.ts builds them.

/** The emails the auth routes send. */
export type EmailTemplate = 'verify-email' | 'reset-password' | 'signup-attempt'

/** Every template, for the dev preview. */
export const EMAIL_TEMPLATES: readonly EmailTemplate[] = ['verify-email', 'reset-password', 'signup-attempt']

export function isEmailTemplate(name: string): name is EmailTemplate {
  return (EMAIL_TEMPLATES as readonly string[]).includes(name)
}

/** What every template shows. Plain strings: React escapes them in text and attributes. */
export interface EmailData {
  /** The app's name, as the reader knows it. */
  readonly appName: string
  /** The email's link (a one-time link, or the app's address), built from the configured public URL (never a request's Host header). */
  readonly link: string
  /** The address the email goes to. */
  readonly email: string
}
