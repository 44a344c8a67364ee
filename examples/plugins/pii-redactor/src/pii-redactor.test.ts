import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { PiiRedactor } from './pii-redactor.js'

const host = (config?: unknown) => createTestHost(new PiiRedactor(), { config: (config ?? null) as never })

const TEXT = 'Hi! Mail ada.lovelace@example.com or call +44 20 7946 0958 / (555) 123-4567 today.'
const REDACTED = 'Hi! Mail [EMAIL] or call [PHONE] / [PHONE] today.'

/** One OpenAI chat.completion.chunk event. */
const chunk = (content: string | undefined, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'mock-gpt',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: null }],
    ...extra,
  })}\n\n`

/** The `data:` payloads the client received, in order. */
const events = (sent: Buffer[]) =>
  Buffer.concat(sent)
    .toString()
    .split('\n\n')
    .filter(Boolean)
    .map((event) => event.replace(/^data: /, ''))

/** All delta content the client received, concatenated. */
const contentOf = (sent: Buffer[]) =>
  events(sent)
    .filter((data) => data.startsWith('{'))
    .map((data) => (JSON.parse(data) as { choices: Array<{ delta: { content?: string } }> }).choices.map((c) => c.delta.content ?? '').join(''))
    .join('')

const stream = async (pieces: string[], requestId = 'r1') => (await host()).responseStream(pieces.map((p) => chunk(p)), { context: { requestId } })

describe('PiiRedactor (in-process)', () => {
  describe('requests (post-auth)', () => {
    it('rewrites emails and phone numbers in string and text-part message contents', async () => {
      const body = {
        model: 'mock-gpt',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'I am ada@example.com, +1 555 123 4567' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'my colleague: bob@example.org' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png?by=bob@example.org' } },
            ],
          },
        ],
      }
      const result = await (await host()).postAuth({ request: { body: Buffer.from(JSON.stringify(body)) } })
      expect(result).toMatchObject({ action: 'modify', metadata: { piiRedactions: '3' } })
      expect(result.action === 'modify' && JSON.parse(result.body!.toString())).toEqual({
        model: 'mock-gpt',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'I am [EMAIL], [PHONE]' },
          { role: 'user', content: [{ type: 'text', text: 'my colleague: [EMAIL]' }, body.messages[2]!.content[1]] },
        ],
      })
    })

    it.each([
      ['embeddings input', { input: ['ada@example.com', [1, 2, 3]] }, { input: ['[EMAIL]', [1, 2, 3]] }],
      ['legacy completions prompt', { prompt: 'call (555) 123-4567' }, { prompt: 'call [PHONE]' }],
      [
        'Responses API input and instructions',
        { instructions: 'reply to ada@example.com', input: [{ role: 'user', content: [{ type: 'input_text', text: 'I am bob@example.org' }, { type: 'input_image', image_url: 'https://x/a.png?by=bob@example.org' }] }] },
        { instructions: 'reply to [EMAIL]', input: [{ role: 'user', content: [{ type: 'input_text', text: 'I am [EMAIL]' }, { type: 'input_image', image_url: 'https://x/a.png?by=bob@example.org' }] }] },
      ],
      [
        "Anthropic's system",
        { system: [{ type: 'text', text: 'user: ada@example.com' }], messages: [{ role: 'user', content: 'hi' }] },
        { system: [{ type: 'text', text: 'user: [EMAIL]' }], messages: [{ role: 'user', content: 'hi' }] },
      ],
    ])('rewrites the prompt of %s too: no API is a way around the redactor', async (_, body, redacted) => {
      const result = await (await host()).postAuth({ request: { body: Buffer.from(JSON.stringify(body)) } })
      expect(result.action === 'modify' && JSON.parse(result.body!.toString())).toEqual(redacted)
    })

    it.each([
      ['a request without PII', JSON.stringify({ messages: [{ role: 'user', content: 'Hello there' }] })],
      ['a body that is not JSON', 'ada@example.com'],
      ['a body without a prompt field', JSON.stringify({ model: 'm', user: 'x', metadata: { note: 'ada@example.com' } })],
    ])('passes %s', async (_, body) => {
      expect(await (await host()).postAuth({ request: { body: Buffer.from(body) } })).toEqual({ action: 'pass' })
    })
  })

  describe('whole responses', () => {
    it('rewrites choices[].message.content of a JSON completion', async () => {
      const completion = { id: 'c1', choices: [{ index: 0, message: { role: 'assistant', content: TEXT }, finish_reason: 'stop' }] }
      const body = await (await host()).responseBody({ body: JSON.stringify(completion) })
      expect(JSON.parse(body.toString())).toEqual({ ...completion, choices: [{ ...completion.choices[0], message: { role: 'assistant', content: REDACTED } }] })
    })

    it('passes a completion without PII byte for byte', async () => {
      const body = JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'nothing to hide' } }] }, null, 2)
      expect((await (await host()).responseBody({ body })).toString()).toBe(body)
    })
  })

  describe('streams', () => {
    it('redacts an email split across two chunks without sending any part of it', async () => {
      const sent = await stream(['Mail ada@exa', 'mple.com now'])
      expect(contentOf(sent)).toBe('Mail [EMAIL] now')
      expect(sent.map(String).join('')).not.toMatch(/ada|@exa|example/)
    })

    it('redacts a phone number split across three chunks', async () => {
      const sent = await stream(['Call +1 55', '5 123 4', '567 today'])
      expect(contentOf(sent)).toBe('Call [PHONE] today')
      expect(sent.map(String).join('')).not.toMatch(/555|123|4567/)
    })

    it('gives the same text as redacting it whole, wherever the stream is split into two or three chunks', async () => {
      const plugin = await host()
      for (let i = 1; i < TEXT.length; i++) {
        for (let j = i; j < TEXT.length; j++) {
          const pieces = i === j ? [TEXT.slice(0, i), TEXT.slice(i)] : [TEXT.slice(0, i), TEXT.slice(i, j), TEXT.slice(j)]
          const sent = await plugin.responseStream(pieces.map((p) => chunk(p)), { context: { requestId: `split-${i}-${j}` } })
          if (contentOf(sent) !== REDACTED) expect({ pieces, got: contentOf(sent) }).toEqual({ pieces, got: REDACTED })
        }
      }
    })

    it('gives the same text when each character is its own chunk', async () => {
      expect(contentOf(await stream([...TEXT]))).toBe(REDACTED)
    })

    it('sends text without PII unchanged once concatenated', async () => {
      const pieces = ['The quick', ' brown fox', ' jumps over', ' 3 lazy dogs', ' in 2024.']
      const sent = await stream(pieces)
      expect(contentOf(sent)).toBe(pieces.join(''))
    })

    it('flushes held text before [DONE] and passes [DONE] last', async () => {
      const sent = await (await host()).responseStream([chunk('Reach me at'), chunk(' ada@example.com'), 'data: [DONE]\n\n'])
      expect(events(sent).at(-1)).toBe('[DONE]')
      expect(contentOf(sent)).toBe('Reach me at [EMAIL]')
    })

    it('flushes held text before the finish event, which passes unchanged', async () => {
      const finish = `data: ${JSON.stringify({ id: 'chatcmpl-1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`
      const sent = await (await host()).responseStream([chunk('Bye ada@example.com'), finish, 'data: [DONE]\n\n'])
      expect(events(sent).slice(-2)).toEqual([finish.slice(6, -2), '[DONE]'])
      expect(contentOf(sent)).toBe('Bye [EMAIL]')
    })

    it('flushes at the end of a stream without [DONE], in an event shaped like the last chunk', async () => {
      const sent = await stream(['Hello', ' world'])
      const last = JSON.parse(events(sent).at(-1)!)
      expect(last).toEqual({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'mock-gpt', choices: [{ index: 0, delta: { content: 'world' }, finish_reason: null }] })
    })

    it('passes events without content (role, usage, comments) and keeps their order', async () => {
      const role = chunk(undefined, { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })
      const usage = chunk(undefined, { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })
      const sent = await (await host()).responseStream([role, ': keep-alive\n\n', chunk('hi there'), usage, 'data: [DONE]\n\n'])
      const received = events(sent)
      expect(received[0]).toBe(role.slice(6, -2))
      expect(received[1]).toBe(': keep-alive')
      expect(contentOf(sent)).toBe('hi there')
      expect(received.slice(-2)).toEqual([usage.slice(6, -2), '[DONE]'])
    })

    it('keeps concurrent streams apart by request id', async () => {
      const plugin = await host()
      const [a, b] = await Promise.all([
        plugin.responseStream(['Mail ada@exa', 'mple.com', ' now'].map((p) => chunk(p)), { context: { requestId: 'a' } }),
        plugin.responseStream(['Call 555-12', '3-4567', ' later'].map((p) => chunk(p)), { context: { requestId: 'b' } }),
      ])
      expect(contentOf(a)).toBe('Mail [EMAIL] now')
      expect(contentOf(b)).toBe('Call [PHONE] later')
    })

    it('drops a stream that broke off without releasing what it held back', async () => {
      const plugin = await host()
      const sent = await plugin.responseStream([chunk('Mail ada@exa')], { context: { requestId: 'gone' }, aborted: true })
      expect(contentOf(sent)).toBe('Mail ')
      expect(contentOf(await plugin.responseStream([chunk('mple.com now')], { context: { requestId: 'gone' } }))).toBe('mple.com now')
    })

    it('logs how many redactions a stream needed', async () => {
      const plugin = await host()
      await plugin.responseStream([chunk('a@b.io and c@d.io')])
      expect(plugin.logs).toContainEqual(expect.objectContaining({ message: 'redacted PII in response stream', fields: expect.objectContaining({ redactions: 2 }) }))
    })
  })

  it('redacts only the configured kinds', async () => {
    const plugin = await host({ kinds: ['phone'] })
    expect(contentOf(await plugin.responseStream([chunk('ada@example.com 555-123-4567')]))).toBe('ada@example.com [PHONE]')
  })

  it.each([[[]], [{ kinds: [] }], [{ kinds: ['ssn'] }], [{ kinds: 'email' }]])('refuses config %j with CONFIG_INVALID', async (config) => {
    await expect(host(config)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
