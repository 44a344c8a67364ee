import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const context = (requestId: string) => ({ requestId, llm: 'mock', model: 'mock-gpt', streaming: true, metadata: {}, api: 'chat.completions' })
const chunk = (content: string) => Buffer.from(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`)
const contentOf = (sent: Buffer[]) =>
  Buffer.concat(sent)
    .toString()
    .split('\n\n')
    .filter((event) => event.startsWith('data: {'))
    .map((event) => JSON.parse(event.slice(6)).choices[0].delta.content)
    .join('')

describe('pii-redactor as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  beforeAll(async () => {
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({ name: 'pii-redactor', source: `file://${packageDir}` })
  })
  afterAll(() => host.shutdown())

  it('redacts the request body the upstream will see through a post-auth chain', async () => {
    const body = Buffer.from(JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'I am ada@example.com' }] }))
    const request = { method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body, clientIp: '127.0.0.1' }
    const outcome = await new HookChain([{ plugin, failurePolicy: 'fail-closed' }]).runPostAuth(request, { ...context('req-0'), streaming: false })
    expect(outcome).toMatchObject({ kind: 'continue', metadata: { piiRedactions: '1' } })
    expect(outcome.kind === 'continue' && JSON.parse(outcome.request.body.toString()).messages[0].content).toBe('I am [EMAIL]')
  })

  it('redacts interleaved response streams, each in order, with matches split across chunks', async () => {
    const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
    const a = chain.chunkStream(context('req-a'))
    const b = chain.chunkStream(context('req-b'))
    const sentA: Buffer[] = []
    const sentB: Buffer[] = []
    const piecesA = ['Mail ada@exa', 'mple.com', ' now']
    const piecesB = ['Call +1 555', ' 123 45', '67 later']
    for (let i = 0; i < 3; i++) {
      sentA.push(await a.push(chunk(piecesA[i]!)))
      sentB.push(await b.push(chunk(piecesB[i]!)))
    }
    sentA.push(await a.push(Buffer.from('data: [DONE]\n\n')), await a.end())
    sentB.push(await b.end())
    expect(contentOf(sentA)).toBe('Mail [EMAIL] now')
    expect(Buffer.concat(sentA).toString().endsWith('data: [DONE]\n\n')).toBe(true)
    expect(contentOf(sentB)).toBe('Call [PHONE] later')
  })

  it('forgets a stream the client left, so nothing it held back leaks into a later stream with the same request id', async () => {
    const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
    const client = new AbortController()
    const gone = chain.chunkStream(context('req-c'), client.signal)
    expect(contentOf([await gone.push(chunk('Mail ada@exa'))])).toBe('Mail ')
    client.abort()
    const again = chain.chunkStream(context('req-c'))
    const sent = [await again.push(chunk('mple.com now')), await again.end()]
    expect(contentOf(sent)).toBe('mple.com now')
  })
})
