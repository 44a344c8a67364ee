import { describe, expect, it } from 'vitest'
import { createTestHost, type TestHostOptions } from '@plugboard/sdk/testing'
import { ServiceApiDemo, completionAnswer, parseCompleteRequest } from './service-api-demo.js'

const completion = { id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' } }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }

/** Fakes Studio's LLM services, recording what the plugin asked the gateway for. */
async function demo(options: { status?: number; body?: unknown; scopes?: TestHostOptions['scopes'] } = {}) {
  const sent: Array<{ llm: string; request: unknown }> = []
  const host = await createTestHost(new ServiceApiDemo(), {
    runtime: 'studio',
    scopes: options.scopes ?? ['llms.read', 'llms.proxy'],
    services: {
      listLlms: async () => ({ items: [{ id: 'mock', json: Buffer.from('{"slug":"mock","vendor":"mock"}') }], nextCursor: '' }),
      proxyCompletion: async ({ llm, requestJson }) => {
        sent.push({ llm, request: JSON.parse(requestJson.toString()) })
        return { status: options.status ?? 200, responseJson: Buffer.from(JSON.stringify(options.body ?? completion)) }
      },
    },
  })
  return { host, sent }
}

describe('ServiceApiDemo (in-process)', () => {
  it('declares its scopes and admin RPC methods', async () => {
    const { host } = await demo()
    expect(host.manifest()).toMatchObject({ runtimes: ['studio'], permissions: { services: ['llms.read', 'llms.proxy'] }, ui: { rpc: ['llms', 'complete'] } })
  })

  it('lists the LLMs', async () => {
    const { host } = await demo()
    expect(await host.uiRpc('llms')).toEqual({ result: { items: [{ slug: 'mock', vendor: 'mock' }], nextCursor: '' } })
  })

  it('sends the prompt as one user message and answers the text and usage', async () => {
    const { host, sent } = await demo()
    expect(await host.uiRpc('complete', { llm: 'mock', prompt: 'hi', model: 'mock-gpt' })).toEqual({
      result: { text: 'Hello!', usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } },
    })
    expect(sent).toEqual([{ llm: 'mock', request: { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] } }])
  })

  it('says what the LLM answered when it is not 200', async () => {
    const { host } = await demo({ status: 429, body: { error: { message: 'slow down', code: 'RATE_LIMITED' } } })
    expect(await host.uiRpc('complete', { llm: 'mock', prompt: 'hi' })).toEqual({ error: { code: 'LLM_CALL_FAILED', message: 'LLM "mock" answered 429: slow down' } })
  })

  it('fails complete with SCOPE_DENIED without llms.proxy, listing still works', async () => {
    const { host, sent } = await demo({ scopes: ['llms.read'] })
    const answer = await host.uiRpc('complete', { llm: 'mock', prompt: 'hi' })
    expect(answer).toMatchObject({ error: { code: 'SCOPE_DENIED' } })
    expect(sent).toEqual([])
    expect(await host.uiRpc('llms')).toHaveProperty('result')
  })

  it.each([
    [null, /complete needs/],
    [{ llm: 'mock' }, /prompt must be a non-empty string/],
    [{ llm: 7, prompt: 'x' }, /llm must be a non-empty string/],
    [{ llm: 'mock', prompt: 'x'.repeat(40_000) }, /prompt is 40000 characters, more than 32000/],
    [{ llm: 'mock', prompt: 'x', model: ['a'] }, /model must be/],
  ])('refuses the payload %j with RPC_INVALID_PAYLOAD', async (payload, message) => {
    const { host, sent } = await demo()
    const answer = await host.uiRpc('complete', payload as never)
    expect(answer).toMatchObject({ error: { code: 'RPC_INVALID_PAYLOAD', message: expect.stringMatching(message) } })
    expect(sent).toEqual([])
  })

  it('refuses an RPC method it does not have', async () => {
    const { host } = await demo()
    expect(await host.uiRpc('delete-everything')).toMatchObject({ error: { code: 'RPC_METHOD_UNKNOWN' } })
  })

  it('reads answers of any shape without failing', () => {
    expect(completionAnswer(null)).toEqual({ text: '', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 } })
    expect(completionAnswer({ choices: [{ message: { content: ['x'] } }], usage: { prompt_tokens: -1, total_tokens: 'many' } }).text).toBe('')
    expect(parseCompleteRequest({ llm: 'a', prompt: 'b' })).toEqual({ llm: 'a', prompt: 'b' })
  })
})
