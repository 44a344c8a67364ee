import { describe, expect, it } from 'vitest'
import { replyItems, toolText } from './reply-items'

describe('replyItems', () => {
  it('joins each tool result to its call and keeps thinking in order, leaving errors out', () => {
    expect(
      replyItems([
        { type: 'thinking', text: 'plan' },
        { type: 'tool_call', id: 's', name: 'search', arguments: { q: 'x' } },
        { type: 'tool_result', id: 's', result: { hits: 1 }, isError: false },
        { type: 'thinking', text: 'next' },
        { type: 'tool_call', id: 't', name: 'tool', arguments: {} },
        { type: 'error', code: 'E', message: 'm' },
      ]),
    ).toEqual([
      { kind: 'thinking', text: 'plan' },
      { kind: 'tool', id: 's', call: { name: 'search', arguments: { q: 'x' } }, result: { value: { hits: 1 }, isError: false } },
      { kind: 'thinking', text: 'next' },
      { kind: 'tool', id: 't', call: { name: 'tool', arguments: {} } },
    ])
  })

  it('gives a reused id to the latest call without a result, and shows a result without a call on its own', () => {
    const items = replyItems([
      { type: 'tool_call', id: '1', name: 'a', arguments: null },
      { type: 'tool_result', id: '1', result: 'first', isError: false },
      { type: 'tool_call', id: '1', name: 'b', arguments: null },
      { type: 'tool_result', id: '1', result: 'second', isError: true },
      { type: 'tool_result', id: 'lost', result: 'orphan', isError: false },
    ])
    expect(items).toEqual([
      { kind: 'tool', id: '1', call: { name: 'a', arguments: null }, result: { value: 'first', isError: false } },
      { kind: 'tool', id: '1', call: { name: 'b', arguments: null }, result: { value: 'second', isError: true } },
      { kind: 'tool', id: 'lost', result: { value: 'orphan', isError: false } },
    ])
  })

  it('shows strings as they are and the rest as indented JSON', () => {
    expect(toolText('plain <b>text</b>')).toBe('plain <b>text</b>')
    expect(toolText({ a: 1 })).toBe('{\n  "a": 1\n}')
  })
})
