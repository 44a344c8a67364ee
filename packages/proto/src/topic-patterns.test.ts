import { describe, expect, it } from 'vitest'
import { patternWithin, topicMatches, topicProblem } from './topic-patterns.js'

describe('topicMatches', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.c', false],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['a.>', 'ab.c', false],
    ['>', 'anything', true],
    ['>', 'a.b.c', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*', 'a', false],
    ['*.b', 'a.b', true],
    ['*.b', 'a.c', false],
    ['a.*.c.>', 'a.x.c.d.e', true],
    ['a.*.c.>', 'a.x.c', false],
  ])('"%s" selects "%s": %s', (pattern, topic, selected) => {
    expect(topicMatches(pattern, topic)).toBe(selected)
  })
})

describe('patternWithin', () => {
  it.each([
    ['usage.count', 'usage.count', true],
    ['usage.count', 'usage.>', true],
    ['usage.a.b', 'usage.>', true],
    ['usage.*', 'usage.>', true],
    ['usage.>', 'usage.>', true],
    ['usage.a.>', 'usage.>', true],
    ['usage.>', '>', true],
    ['>', '>', true],
    ['usage.*', 'usage.*', true],
    ['usage.a', 'usage.*', true],
    ['*.a', '*.*', true],
    // Wider than the grant: refused.
    ['>', 'usage.>', false],
    ['usage.>', 'usage.*', false],
    ['usage.>', 'usage.a.>', false],
    ['usage', 'usage.>', false],
    ['usage.*', 'usage.a', false],
    ['*.a', 'usage.a', false],
    ['usage.*.b', 'usage.*', false],
    ['usage.a', 'usage.a.b', false],
    ['billing.a', 'usage.>', false],
  ])('"%s" within "%s": %s', (inner, outer, within) => {
    expect(patternWithin(inner, outer)).toBe(within)
  })

  it('agrees with topicMatches: every topic a covered pattern selects, its cover selects too', () => {
    const topics = ['a', 'b', 'a.a', 'a.b', 'b.a', 'a.a.a', 'a.b.c', 'b.b.b']
    const patterns = ['>', 'a', 'a.>', 'a.*', '*.a', '*.*', '*', 'a.a.>', 'a.*.*', '*.>', 'b.>']
    for (const inner of patterns) {
      for (const outer of patterns) {
        const covered = topics.every((topic) => !topicMatches(inner, topic) || topicMatches(outer, topic))
        if (patternWithin(inner, outer)) expect(covered, `${inner} within ${outer}`).toBe(true)
      }
    }
  })
})

describe('topicProblem', () => {
  it('accepts topics and well-formed patterns', () => {
    expect(topicProblem('usage.app.demo', { wildcards: false })).toBeUndefined()
    expect(topicProblem('usage.*.>', { wildcards: true })).toBeUndefined()
  })

  it.each([
    ['', true, 'is empty'],
    ['a..b', true, 'empty token'],
    ['a.', true, 'empty token'],
    ['a.>.b', true, '">" before its last token'],
    ['a.b*', true, 'whole token'],
    ['a.*', false, 'wildcard'],
    ['a.>', false, 'wildcard'],
    ['x'.repeat(257), true, 'longer than 256'],
  ])('refuses "%s" (wildcards %s): %s', (pattern, wildcards, problem) => {
    expect(topicProblem(pattern, { wildcards })).toContain(problem)
  })
})
