import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { parseConfig, type Gateway } from '@plugboard/gateway'
import { DEMO_KEY, post, startGateway } from './helpers.js'

let gateway: Gateway | undefined
const sockets: Socket[] = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await gateway?.close()
  gateway = undefined
})

/** A raw connection to the gateway that records what it receives and when it is closed. */
async function open(url: string) {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  sockets.push(socket)
  const state = { received: '', closed: false }
  socket.on('data', (data) => (state.received += data.toString()))
  socket.on('error', () => undefined)
  socket.on('close', () => (state.closed = true))
  await new Promise((resolve) => socket.once('connect', resolve))
  return { socket, state }
}

/** Writes `text` a character at a time, `everyMs` apart, until it is written or the socket closes. */
async function trickle(socket: Socket, text: string, everyMs: number) {
  for (const character of text) {
    if (socket.destroyed) return
    socket.write(character)
    await sleep(everyMs)
  }
}

async function until(condition: () => boolean, ms: number) {
  const deadline = performance.now() + ms
  while (!condition() && performance.now() < deadline) await sleep(20)
  return condition()
}

const chat = (model: string, stream = false) => ({ model, stream, messages: [{ role: 'user', content: 'hi' }] })

describe('slow clients', () => {
  it('are bounded by default as a public gateway needs, and a headers timeout past the request timeout is refused', () => {
    expect(parseConfig('{}', { baseDir: '/' }).server).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000, maxConnections: 10_000 })
    expect(() => parseConfig('server: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 }', { baseDir: '/' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('headersTimeoutMs') }),
    )
  })

  it('drops a client that trickles its headers or its body past the timeouts, while serving others', async () => {
    ;({ gateway } = await startGateway({ server: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } }))
    const url = gateway.url
    const slowHeaders = await open(url)
    void trickle(slowHeaders.socket, `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-pad: ${'a'.repeat(200)}\r\n\r\n`, 50)
    const slowBody = await open(url)
    const body = JSON.stringify(chat('mock-gpt'))
    slowBody.socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${DEMO_KEY}\r\ncontent-length: ${body.length}\r\n\r\n`)
    void trickle(slowBody.socket, body, 100)

    expect((await post(`${url}/v1/chat/completions`, chat('mock-gpt'))).status).toBe(200)
    // Node checks these deadlines on an interval: allow it, and a loaded machine, some seconds.
    expect(await until(() => slowHeaders.state.closed, 5000)).toBe(true)
    expect(slowHeaders.state.received).toMatch(/^HTTP\/1\.1 408/)
    expect(await until(() => slowBody.state.closed, 5000)).toBe(true)
    expect(slowBody.state.received).toMatch(/^HTTP\/1\.1 408/)
    expect((await post(`${url}/v1/chat/completions`, chat('mock-gpt'))).status).toBe(200)
  })

  it('lets a streamed response run longer than the request timeout', async () => {
    ;({ gateway } = await startGateway({
      server: { headersTimeoutMs: 300, requestTimeoutMs: 300 },
      llms: `
  - slug: long
    vendor: mock
    models: [mock-long]
    mock: { completionTokens: 20, chunks: 20, chunkDelayMs: 60 }`,
    }))
    const started = performance.now()
    const response = await post(`${gateway.url}/v1/chat/completions`, chat('mock-long', true))
    expect(performance.now() - started).toBeGreaterThan(1000)
    expect(response.text.trimEnd().endsWith('data: [DONE]')).toBe(true)
  })

  it('refuses connections beyond maxConnections and keeps serving the ones it holds', async () => {
    ;({ gateway } = await startGateway({ server: { maxConnections: 2 } }))
    const url = gateway.url
    const idle = await open(url)
    const client = await open(url)
    const beyond = await open(url)
    expect(await until(() => beyond.state.closed, 5000)).toBe(true)
    expect(beyond.state.received).toBe('')

    const body = JSON.stringify(chat('mock-gpt'))
    client.socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${DEMO_KEY}\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
    expect(await until(() => client.state.received.includes('"chat.completion"'), 5000)).toBe(true)
    expect(client.state.received).toMatch(/^HTTP\/1\.1 200/)
    expect(idle.state.closed).toBe(false)

    // A slot that frees up is usable again, once the gateway saw it close.
    idle.socket.destroy()
    let served = false
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      const next = await open(url)
      next.socket.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n')
      await until(() => next.state.closed || next.state.received.startsWith('HTTP/1.1 200'), 5000)
      served = next.state.received.startsWith('HTTP/1.1 200')
      if (!served) await sleep(50)
    }
    expect(served).toBe(true)
  })
})
