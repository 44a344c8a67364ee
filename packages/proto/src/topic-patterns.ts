/**
 * Event topics and the NATS-style patterns that select them. A topic is
 * dot-separated tokens (`usage.app.demo`); a pattern may use `*` for exactly
 * one token and, as its last token, `>` for one or more tokens. Both the bus
 * (which events reach a subscription) and the grants (which topics a plugin
 * may use) read patterns with these functions, so they cannot disagree.
 */

/** Topic patterns an admin granted to one plugin, within what its manifest declares (`permissions.events`). */
export interface TopicGrant {
  /** Topics the plugin may publish to (patterns). */
  publish: readonly string[]
  /** Patterns the plugin may subscribe within. */
  subscribe: readonly string[]
}

/** A grant of no topic at all: the default of a plugin nobody granted topics to. */
export const NO_TOPICS: TopicGrant = Object.freeze({ publish: Object.freeze([]), subscribe: Object.freeze([]) })

/** Longest topic or pattern, in characters: a topic names a stream of events, it carries no data. */
export const MAX_TOPIC_LENGTH = 256

/** Why `pattern` is not a valid pattern (or, with `wildcards: false`, not a topic), or undefined when it is. */
export function topicProblem(pattern: string, { wildcards }: { wildcards: boolean }): string | undefined {
  if (!pattern) return 'is empty'
  if (pattern.length > MAX_TOPIC_LENGTH) return `is longer than ${MAX_TOPIC_LENGTH} characters`
  const tokens = pattern.split('.')
  for (const [index, token] of tokens.entries()) {
    if (!token) return 'has an empty token (two dots, or a dot at an end)'
    if (token === '*' || token === '>') {
      if (!wildcards) return `contains the wildcard "${token}"; a published topic names one topic`
      if (token === '>' && index !== tokens.length - 1) return 'has ">" before its last token'
    } else if (token.includes('*') || token.includes('>')) {
      return `has "*" or ">" inside the token "${token}"; a wildcard is a whole token`
    }
  }
  return undefined
}

/**
 * Whether `topic` is selected by `pattern`: equal tokens, `*` for any one
 * token, a final `>` for one or more further tokens (`a.>` selects `a.b` and
 * `a.b.c`, not `a`).
 */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true
  const wanted = pattern.split('.')
  const tokens = topic.split('.')
  for (let i = 0; i < wanted.length; i++) {
    if (wanted[i] === '>') return tokens.length > i
    if (i >= tokens.length || (wanted[i] !== '*' && wanted[i] !== tokens[i])) return false
  }
  return wanted.length === tokens.length
}

/**
 * Whether every topic `inner` selects is also selected by `outer`: a grant of
 * `outer` covers a subscription to (or a grant of) `inner`. `usage.*` is
 * within `usage.>`; `>` and `usage.>` are not within `usage.*`.
 */
export function patternWithin(inner: string, outer: string): boolean {
  const wide = outer.split('.')
  const narrow = inner.split('.')
  for (let i = 0; i < wide.length; i++) {
    if (wide[i] === '>') return narrow.length > i
    if (i >= narrow.length || narrow[i] === '>') return false
    if (wide[i] !== '*' && (narrow[i] === '*' || wide[i] !== narrow[i])) return false
  }
  return wide.length === narrow.length
}

/** Whether some pattern in `grant` covers `pattern` (a topic is a pattern that selects itself). */
export function withinAny(pattern: string, grant: readonly string[]): boolean {
  return grant.some((outer) => patternWithin(pattern, outer))
}
