// Streamed translation, in process: `node packages/gateway/bench/translate-stream.mjs [--streams 20000]`
// (after `npm run build`). The mock vendor's 50-piece stream (role chunk, 50 content chunks, finish
// chunk, usage chunk, [DONE]: one Buffer per event, as the vendors hand them on) goes through
// `new StreamTranslation(answer).push(event)` for Anthropic Messages and OpenAI Responses; prints µs
// per stream (answer created, every event pushed), median and p90 over `--streams` streams after as
// many warm-up streams. The chat-completions form does no per-event work here: its events are
// written as they came, so these figures are what translation adds.
import { parseArgs } from 'node:util'
import { anthropicMessages } from '../dist/dialects/anthropic.js'
import { openAiResponses } from '../dist/dialects/responses.js'
import { StreamTranslation } from '../dist/pipeline/translate-answer.js'
import { mockVendor } from '../dist/vendors/mock.js'

const { values: args } = parseArgs({ options: { streams: { type: 'string', default: '20000' } } })
const STREAMS = Number(args.streams)
const CHUNKS = 50

async function mockStream() {
  const body = { model: 'bench-model', messages: [{ role: 'user', content: 'Say something long enough for fifty chunks' }], stream: true, stream_options: { include_usage: true } }
  const answer = await mockVendor.chat({
    llm: { mock: { latencyMs: 0, chunkDelayMs: 0, completionTokens: 2 * CHUNKS, chunks: CHUNKS } },
    model: 'bench-model',
    body,
    rawBody: Buffer.from(JSON.stringify(body)),
    headers: {},
    signal: new AbortController().signal,
    requestId: 'bench-0123456789',
    timeoutMs: 60_000,
    limits: {},
  })
  const events = []
  for await (const event of answer.events) events.push(event)
  return events
}

function timeStreams(dialect, clientBody, events) {
  const run = () => {
    const translation = new StreamTranslation(dialect.answer(clientBody))
    let bytes = 0
    for (const event of events) bytes += translation.push(event).length
    return bytes
  }
  for (let i = 0; i < STREAMS; i++) run()
  const samples = new Float64Array(STREAMS)
  for (let i = 0; i < STREAMS; i++) {
    const start = process.hrtime.bigint()
    run()
    samples[i] = Number(process.hrtime.bigint() - start) / 1000
  }
  samples.sort()
  return { p50: samples[Math.floor(STREAMS / 2)], p90: samples[Math.floor(STREAMS * 0.9)] }
}

const events = await mockStream()
const runs = [
  ['messages', anthropicMessages, { model: 'bench-model', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }], stream: true }],
  ['responses', openAiResponses, { model: 'bench-model', input: 'hi', stream: true }],
]
console.log(`${events.length} events per stream (${events.length - 4} content chunks), ${STREAMS} streams per dialect, node ${process.version}`)
for (const [name, dialect, clientBody] of runs) {
  const { p50, p90 } = timeStreams(dialect, clientBody, events)
  console.log(`${name.padEnd(10)} p50 ${p50.toFixed(1).padStart(7)} µs/stream  p90 ${p90.toFixed(1).padStart(7)} µs/stream  (${(p50 / events.length).toFixed(2)} µs/event)`)
}
