/**
 * Whether topic pattern `outer` matches every topic `inner` matches (NATS
 * style: exact tokens, `*` one token, a trailing `>` one or more): what a
 * grant within a manifest's request means.
 */
export function topicPatternCovers(outer: string, inner: string): boolean {
  const a = outer.split('.')
  const b = inner.split('.')
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '>') return i < b.length
    if (i >= b.length) return false
    if (b[i] === '>') return false
    if (a[i] !== '*' && a[i] !== b[i]) return false
    if (a[i] === '*' && b[i] === '') return false
  }
  return a.length === b.length
}
