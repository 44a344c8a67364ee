import { PlugboardError, type JsonValue } from '@plugboard/sdk'

/** A piece of feedback as the portal form sends it. */
export interface FeedbackInput {
  /** 1 (poor) to 5 (great). */
  rating: number
  message: string
}

/** A stored piece of feedback: what was sent, by whom (the host-verified user), when. */
export interface Feedback extends FeedbackInput {
  id: string
  at: string
  user: { id: string; email: string; name: string }
}

export const MAX_MESSAGE_CHARS = 2000
/** Tabs and line breaks are kept; other control characters (and lone surrogates, bidi overrides) are refused. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\p{Cs}/u

export type FeedbackErrorCode = 'FEEDBACK_INVALID'

const invalid = (message: string) => new PlugboardError<FeedbackErrorCode>('FEEDBACK_INVALID', message)

/**
 * The feedback in a portal RPC payload, checked as hostile input: an object
 * with exactly `rating` (an integer 1–5) and `message` (1 to 2000 characters
 * once trimmed, no control characters but tabs and line breaks), normalised
 * to NFC. Throws FEEDBACK_INVALID saying what is wrong.
 */
export function parseFeedback(payload: JsonValue): FeedbackInput {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid('send an object { rating, message }')
  const extra = Object.keys(payload).filter((key) => key !== 'rating' && key !== 'message')
  if (extra.length > 0) throw invalid(`unknown field ${JSON.stringify(extra[0]!.slice(0, 40))}: send only rating and message`)
  const { rating, message } = payload as { rating?: unknown; message?: unknown }
  if (typeof rating !== 'number' || !Number.isInteger(rating) || rating < 1 || rating > 5) throw invalid('rating must be a whole number from 1 to 5')
  if (typeof message !== 'string') throw invalid('message must be text')
  const text = message.normalize('NFC').trim()
  if (text.length === 0) throw invalid('message must not be empty')
  if ([...text].length > MAX_MESSAGE_CHARS) throw invalid(`message must be at most ${MAX_MESSAGE_CHARS} characters`)
  if (FORBIDDEN_CHARACTERS.test(text)) throw invalid('message holds control or direction-override characters: send plain text')
  return { rating, message: text }
}
