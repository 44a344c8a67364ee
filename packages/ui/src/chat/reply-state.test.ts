import { describe, expect, it } from 'vitest'
import { withEvent, type ReplyView } from './reply-state'

describe('withEvent', () => {
  it('appends text, merges consecutive thinking and keeps the other parts in order', () => {
    const events = [
      { type: 'thinking', text: 'a' },
      { type: 'thinking', text: 'b' },
      { type: 'content', text: 'Hel' },
      { type: 'tool_call', id: '1', name: 't', arguments: {} },
      { type: 'content', text: 'lo' },
      { type: 'error', code: 'X', message: 'm' },
      { type: 'done' },
    ] as const
    const reply = events.reduce<ReplyView>((view, event) => withEvent(view, event), { content: '', parts: [] })
    expect(reply).toEqual({
      content: 'Hello',
      parts: [
        { type: 'thinking', text: 'ab' },
        { type: 'tool_call', id: '1', name: 't', arguments: {} },
        { type: 'error', code: 'X', message: 'm' },
      ],
    })
  })
})
