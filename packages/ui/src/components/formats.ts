// Formatters made once: `toLocaleString(…, options)` builds a new Intl formatter on every call,
// which a 200-row table pays for a thousand times per page change.
const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const times = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' })

/** A count as the reader's locale writes it (`1,234`), rounded. */
export const formatCount = (n: number): string => counts.format(n)

/** An API time (RFC 3339) in the reader's time zone and locale, to the second. */
export const formatTime = (iso: string): string => times.format(new Date(iso))
