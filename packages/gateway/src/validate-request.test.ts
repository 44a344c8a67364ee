import { describe, expect, it } from 'vitest'
import { validateRequest } from './validate-request.js'

const user = { role: 'user', content: 'hi' }
const chat = (extra: Record<string, unknown>) => ({ model: 'm', messages: [user], ...extra })

function paramOf(kind: 'chat' | 'embeddings', body: unknown): string | null | undefined {
  try {
    validateRequest(kind, body)
    return undefined
  } catch (error) {
    expect((error as { code: string }).code).toBe('INVALID_REQUEST')
    return (error as { param: string | null }).param
  }
}

describe('validateRequest', () => {
  it('accepts what the official client sends, extra fields included', () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'system', content: [{ type: 'text', text: 'and kind' }] },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'done' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      temperature: 0,
      n: 1,
      max_completion_tokens: 100,
      stop: ['\n'],
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
      vendor_extension: { anything: [1, 2] },
    }
    expect(paramOf('chat', body)).toBeUndefined()
    expect(paramOf('chat', chat({ tool_choice: 'auto', max_tokens: null, temperature: 2 }))).toBeUndefined()
    expect(paramOf('embeddings', { model: 'e', input: 'text', dimensions: 256, encoding_format: 'base64' })).toBeUndefined()
    expect(paramOf('embeddings', { model: 'e', input: [[1, 2], [3]] })).toBeUndefined()
  })

  it.each([
    ['no model', { messages: [user] }, 'model'],
    ['an empty model', { model: '', messages: [user] }, 'model'],
    ['no messages', { model: 'm' }, 'messages'],
    ['empty messages', chat({ messages: [] }), 'messages'],
    ['a null message', chat({ messages: [null] }), 'messages[0]'],
    ['a message with an unknown role', chat({ messages: [{ role: 'wizard', content: 'hi' }] }), 'messages[0].role'],
    ['a user message without content', chat({ messages: [{ role: 'user' }] }), 'messages[0].content'],
    ['null user content', chat({ messages: [{ role: 'user', content: null }] }), 'messages[0].content'],
    ['a null content part', chat({ messages: [{ role: 'user', content: [null] }] }), 'messages[0].content[0]'],
    ['a content part of an unknown type', chat({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'video' }] }] }), 'messages[0].content[1].type'],
    ['a text part without text', chat({ messages: [{ role: 'user', content: [{ type: 'text' }] }] }), 'messages[0].content[0].text'],
    ['a tool message without its call id', chat({ messages: [{ role: 'tool', content: 'x' }] }), 'messages[0].tool_call_id'],
    ['temperature above 2', chat({ temperature: 3 }), 'temperature'],
    ['a string temperature', chat({ temperature: '1' }), 'temperature'],
    ['n of 0', chat({ n: 0 }), 'n'],
    ['n above 128', chat({ n: 129 }), 'n'],
    ['fractional max_tokens', chat({ max_tokens: 1.5 }), 'max_tokens'],
    ['zero max_completion_tokens', chat({ max_completion_tokens: 0 }), 'max_completion_tokens'],
    ['a non-boolean stream', chat({ stream: 'yes' }), 'stream'],
    ['five stop sequences', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop'],
    ['tools that is not an array', chat({ tools: {} }), 'tools'],
    ['a tool of an unknown type', chat({ tools: [{ type: 'magic' }] }), 'tools[0].type'],
    ['a function tool without a name', chat({ tools: [{ type: 'function', function: {} }] }), 'tools[0].function.name'],
    ['an unknown tool_choice', chat({ tool_choice: 'sometimes' }), 'tool_choice'],
    ['a response_format of an unknown type', chat({ response_format: { type: 'yaml' } }), 'response_format.type'],
  ])('refuses %s, naming the field', (_name, body, param) => {
    expect(paramOf('chat', body)).toBe(param)
  })

  it.each([
    ['no input', { model: 'e' }, 'input'],
    ['an empty input list', { model: 'e', input: [] }, 'input'],
    ['mixed input', { model: 'e', input: ['a', 1] }, 'input'],
    ['null input', { model: 'e', input: null }, 'input'],
    ['dimensions of 1e10', { model: 'e', input: 'a', dimensions: 1e10 }, 'dimensions'],
    ['zero dimensions', { model: 'e', input: 'a', dimensions: 0 }, 'dimensions'],
    ['an unknown encoding', { model: 'e', input: 'a', encoding_format: 'hex' }, 'encoding_format'],
  ])('refuses embeddings with %s, naming the field', (_name, body, param) => {
    expect(paramOf('embeddings', body)).toBe(param)
  })
})
