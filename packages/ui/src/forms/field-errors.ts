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

/**
 * Splits an API error into inline field messages (for the fields the form
 * has) and the message shown above the form. `fieldOf` names the field a
 * detail is about: by default its path's first segment.
 */
export function formErrorsOf(error: unknown, formFields: readonly string[], fieldOf: (detail: ErrorDetail) => string = topField): FormErrors {
  if (!(error instanceof ApiError)) return { message: (error as Error).message ?? String(error), fields: {} }
  const fields: Record<string, string> = {}
  for (const detail of error.details) {
    const field = fieldOf(detail)
    if (formFields.includes(field)) fields[field] = fields[field] ? `${fields[field]}; ${detail.message}` : detail.message
  }
  return { message: error.message, fields }
}
