import type { ErrorDetail } from '@plugboard/studio/api-types'
import { ApiError } from '../api/api-error'

/** What the form shows: the API's message, and each detail under the field its JSON pointer names. */
export interface FormErrors {
  message: string | undefined
  fields: Record<string, string>
}

export const noFormErrors: FormErrors = { message: undefined, fields: {} }

/** `/models/0` → `models`: the form field a detail's path is about. */
function topField(detail: ErrorDetail): string {
  return detail.path.split('/')[1] ?? ''
}

/** A form refused before it was sent: a message per field (e.g. `required`), shown under the fields like the API's details. */
export class FieldsRefused extends Error {
  override readonly name = 'FieldsRefused'
  constructor(readonly fields: Record<string, string>) {
    super(Object.keys(fields).join(', '))
  }
}

/** Throws FieldsRefused naming each of `names` left blank in `values`, so a form asks for them instead of sending `''` (or `0` for a number). */
export function requireFilled<Name extends string>(values: Record<Name, string>, names: readonly Name[]): void {
  const blank = names.filter((name) => values[name].trim() === '')
  if (blank.length > 0) throw new FieldsRefused(Object.fromEntries(blank.map((name) => [name, 'required'])))
}

/** A detail that is an internal error's code and the message's own words (`PLUGIN_NOT_FOUND: no plugin at /x` under "the plugin could not be installed: no plugin at /x"): said once, above, without the code. */
function repeats(message: string, detail: ErrorDetail): boolean {
  const coded = /^[A-Z][A-Z0-9_]*: (.+)$/s.exec(detail.message)
  return coded !== null && message.includes(coded[1]!)
}

/**
 * Splits an API error into inline field messages (for the fields the form
 * has) and the message shown above the form; a detail that only repeats
 * the message behind an internal code is left out. `fieldOf` names the field a
 * detail is about: by default its path's first segment.
 */
export function formErrorsOf(error: unknown, formFields: readonly string[], fieldOf: (detail: ErrorDetail) => string = topField): FormErrors {
  if (error instanceof FieldsRefused) return { message: undefined, fields: error.fields }
  if (!(error instanceof ApiError)) return { message: (error as Error).message ?? String(error), fields: {} }
  const fields: Record<string, string> = {}
  for (const detail of error.details) {
    const field = fieldOf(detail)
    if (formFields.includes(field) && !repeats(error.message, detail)) fields[field] = fields[field] ? `${fields[field]}; ${detail.message}` : detail.message
  }
  return { message: error.message, fields }
}
