import { existsSync, readFileSync } from 'node:fs'
import { request as httpRequest, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { DEMO_KEY, fakeUpstream, fixtureSource, pluginOutput, post, startGateway } from './helpers.js'

// What grows with a response is bounded: a slow client holds the upstream back, and plugins get at most 1 MiB of it.

const output = pluginOutput('pb-gw-bp-')
const outFile = output.file
const TOTAL = 96 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'x')
let written = 0

/** Writes `total` bytes as fast as the reader takes them. */
async function writeBig(res: ServerResponse, total: number) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' })
  while (written < total && !res.destroyed) {
    written += CHUNK.length
    if (res.write(CHUNK)) continue
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done)
        res.off('close', done)
        resolve()
      }
      res.on('drain', done)
      res.on('close', done)
    })
  }
  res.end()
}

const sseChunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`

let gateway: Gateway
let upstream: Awaited<ReturnType<typeof fakeUpstream>>

beforeAll(async () => {
  upstream = await fakeUpstream((req, res) => {
    if (req.url === '/v1/big') return void writeBig(res, TOTAL)
    // A 3 MB stream of chat chunks.
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const event = sseChunk('y'.repeat(30_000))
    for (let i = 0; i < 100; i++) res.write(event)
    res.end('data: [DONE]\n\n')
  })
  ;({ gateway } = await startGateway({
    llms: `
  - slug: up
    vendor: openai
    baseUrl: ${upstream.url}/v1
    apiKey: sk-upstream
    models: [up]`,
    yaml: `
plugins: [{ name: hooks, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [stream_complete, post_auth], allowWrite: ${output.allowWrite}, config: { outFile: ${outFile} } }]`,
  }))
})
afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

describe('bounded memory', () => {
  it('relays a pass-through body at the pace the client reads it', async () => {
    const { hostname, port } = new URL(gateway.url)
    const req = httpRequest({ host: hostname, port, path: '/llm/up/v1/big', headers: { authorization: `Bearer ${DEMO_KEY}` } })
    req.end()
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage]
    expect(res.statusCode).toBe(200)
    res.pause()
    // Wait until the upstream stalls (or finishes, when nothing holds it back).
    let last = -1
    for (let i = 0; i < 100 && written !== last && written < TOTAL; i++) {
      last = written
      await sleep(100)
    }
    expect(written).toBeLessThan(TOTAL / 2)
    res.destroy()
  })

  it('hands stream-complete at most 1 MiB of a 3 MB stream, marked truncated', async () => {
    const requestId = `big-stream-${Date.now()}`
    const response = await post(`${gateway.url}/v1/chat/completions`, { model: 'up', messages: [{ role: 'user', content: 'hi' }], stream: true }, { 'x-request-id': requestId })
    expect(response.text.length).toBeGreaterThan(3_000_000)
    const find = () =>
      (existsSync(outFile) ? readFileSync(outFile, 'utf8') : '')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .find((e) => e.requestId === requestId && e.type === 'stream_complete')
    for (let i = 0; i < 150 && !find(); i++) await sleep(20)
    expect(find()).toMatchObject({ status: 200, bytes: 1024 * 1024, truncated: true })
  })

  it('makes at most 256 stream-complete calls at once, skipping and counting the rest', async () => {
    const hang = { 'x-fault': 'stream_complete:hang' }
    for (let batch = 0; batch < 270 / 30; batch++) {
      const responses = await Promise.all(Array.from({ length: 30 }, () => post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }, hang)))
      expect(responses.every((r) => r.status === 200)).toBe(true)
    }
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text()
    expect(Number(/plugboard_stream_complete_skipped_total\{plugin="hooks"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(270 - 256)
  })
})
