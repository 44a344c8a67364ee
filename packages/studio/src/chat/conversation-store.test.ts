import { describe, expect, it } from 'vitest'
import { latestMessages } from './conversation-store.js'

describe('latestMessages', () => {
  const messages = ['aaaa', 'bb', 'cc', 'd'].map((content) => ({ content }))

  it('keeps the latest messages that fit, oldest first', () => {
    expect(latestMessages(messages, 5).map((m) => m.content)).toEqual(['bb', 'cc', 'd'])
    expect(latestMessages(messages, 9).map((m) => m.content)).toEqual(['aaaa', 'bb', 'cc', 'd'])
  })

  it('stops at the first message that does not fit, leaving no gap in the history', () => {
    expect(latestMessages(messages, 4).map((m) => m.content)).toEqual(['cc', 'd'])
    expect(latestMessages([{ content: 'x'.repeat(10) }, { content: 'y' }], 5).map((m) => m.content)).toEqual(['y'])
    expect(latestMessages([], 5)).toEqual([])
  })
})
