import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { DEMO_KEY, fakeUpstream, startGateway } from './helpers.js'

type Upstream = Awaited<ReturnType<typeof fakeUpstream>>

const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`

let upstream: Upstream
let gateway: Gateway
let client: OpenAI

beforeAll(async () => {
  upstream = await fakeUpstream((_req, res, body) => {
    const request = JSON.parse(body) as { stream?: boolean; model: string }
    if (request.model === 'claude-broken') {
      return res.writeHead(529, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))
    }
    if (!request.stream) {
      return res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'msg_01',
          type: 'message',
          role: 'assistant',
          model: request.model,
          content: [{ type: 'text', text: 'Bonjour from Claude' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 9, output_tokens: 4 },
        }),
      )
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(
      sse('message_start', { message: { id: 'msg_02', type: 'message', role: 'assistant', model: request.model, content: [], stop_reason: null, usage: { input_tokens: 9, output_tokens: 1 } } }) +
        sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
        sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Bonjour ' } }) +
        sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'en streaming' } }) +
        sse('content_block_stop', { index: 0 }) +
        sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } }) +
        sse('message_stop', {}),
    )
  })
  ;({ gateway } = await startGateway({
    llms: `
  - slug: claude
    vendor: anthropic
    baseUrl: ${upstream.url}
    apiKey: sk-ant-test
    models: [claude-test, claude-broken]`,
  }))
  client = new OpenAI({ apiKey: DEMO_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  await gateway.close()
  await upstream.close()
})

describe('an Anthropic LLM behind the OpenAI API', () => {
  it('translates a completion both ways and sends the Anthropic headers', async () => {
    const completion = await client.chat.completions.create({
      model: 'claude-test',
      messages: [
        { role: 'system', content: 'Be French.' },
        { role: 'user', content: 'Hello' },
      ],
    })
    expect(completion.choices[0]!.message.content).toBe('Bonjour from Claude')
    expect(completion.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })
    const sent = upstream.requests.at(-1)!
    expect(sent.url).toBe('/v1/messages')
    expect(sent.headers).toMatchObject({ 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' })
    expect(JSON.parse(sent.body)).toMatchObject({ model: 'claude-test', system: 'Be French.', messages: [{ role: 'user', content: 'Hello' }] })
  })

  it('translates a stream for the openai client', async () => {
    const stream = await client.chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: 'Hi' }], stream: true })
    let text = ''
    let finish: string | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(text).toBe('Bonjour en streaming')
    expect(finish).toBe('stop')
  })

  it('passes an Anthropic error on with its status, and refuses parameters Anthropic cannot honour', async () => {
    await expect(client.chat.completions.create({ model: 'claude-broken', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 529,
      code: 'UPSTREAM_ERROR',
    })
    await expect(client.chat.completions.create({ model: 'claude-test', n: 2, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
    })
  })
})
