/**
 * Recognises the commonest event of a canonical stream, a bare text delta,
 * from its bytes, so translating it needs no JSON.parse and no
 * JSON.stringify. The form is the one the gateway's vendors and OpenAI write:
 *
 *   {"id":"…","object":"chat.completion.chunk","created":N,"model":"…",<scalars>,
 *    "choices":[{"index":0,"delta":{"content":"…"},"finish_reason":null,"logprobs":null}],"usage":null,<scalars>}
 *
 * (`logprobs` before, after or without `finish_reason`; `usage: null` optional;
 * `<scalars>` any other fields with a null, string or integer value, such as
 * `system_fingerprint`, `service_tier`, `obfuscation`). Anything else, a
 * character more or less, is not recognised and goes through the parser.
 *
 * The match is strict in two ways. It accepts only valid JSON (no raw control
 * character in a string, no leading zero), so an event the parser would drop
 * is never translated. And the content literal must be exactly what
 * JSON.stringify writes for its value (raw characters but `"`, `\` and
 * controls; only the short escapes `\"` `\\` `\b` `\f` `\n` `\r` `\t`), so
 * copying it gives the bytes re-serialising the parsed value would. A `\u`
 * escape or `\/` takes the parser. Lone surrogates, which JSON.stringify
 * would escape, cannot occur: the events are decoded from UTF-8.
 */

const STRING = String.raw`"[^"\\\x00-\x1f]*"`
const SCALAR_FIELDS = String.raw`(?:,"(?!usage"|choices")[a-z_]+":(?:null|${STRING}|-?(?:0|[1-9]\d*)))*`
/** A non-empty string literal in JSON.stringify's own spelling. */
const CANONICAL_TEXT = String.raw`"(?!")[^"\\\x00-\x1f]*(?:\\["\\bfnrt][^"\\\x00-\x1f]*)*"`

const CONTENT_DELTA_CHUNK = new RegExp(
  String.raw`^\{"id":${STRING},"object":"chat\.completion\.chunk","created":(?:0|[1-9]\d*),"model":${STRING}${SCALAR_FIELDS}` +
    String.raw`,"choices":\[\{"index":0,"delta":\{"content":(${CANONICAL_TEXT})\},(?:"finish_reason":null(?:,"logprobs":null)?|"logprobs":null,"finish_reason":null)\}\]` +
    String.raw`(?:,"usage":null)?${SCALAR_FIELDS}\}$`,
)

/**
 * The content's JSON string literal (quotes included) when `data`, one
 * event's data, is a chunk whose only effect is that text delta: one choice
 * of index 0, a non-empty `content` and nothing else in its delta, no finish
 * reason, no usage. Undefined for any other event.
 */
export function contentDeltaLiteral(data: string): string | undefined {
  return CONTENT_DELTA_CHUNK.exec(data)?.[1]
}
