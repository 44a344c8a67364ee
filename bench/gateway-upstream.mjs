// The gateway bench's mock LLM: an OpenAI-compatible server on loopback with zero artificial latency.
// `node bench/gateway-upstream.mjs [port]` (default 0: any free port); prints one JSON line
// `{"url":"http://127.0.0.1:N","pid":P}` on stdout once listening. Stops on SIGTERM/SIGINT.
//
// POST /chat/completions answers a fixed small chat.completion JSON. With `"stream": true` it
// answers a 50-chunk SSE stream: 50 `data: {chat.completion.chunk}\n\n` events, then
// `data: [DONE]\n\n`, one res.write per event with a setImmediate between events, so each
// event leaves as its own write (its own TCP segment on loopback, as an LLM's tokens do)
// instead of one burst. The request body is read in full and parsed before answering.
import { createServer } from 'node:http'

export const STREAM_CHUNKS = 50

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1700000000,
    model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench upstream.' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
  }),
)

const chunk = (delta, finishReason) =>
  Buffer.from(
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'bench-model',
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    })}\n\n`,
  )
/** The 50 data events, then [DONE]; precomputed so the mock costs as little as possible. */
const events = [
  chunk({ role: 'assistant', content: 'tok0 ' }, null),
  ...Array.from({ length: STREAM_CHUNKS - 2 }, (_, i) => chunk({ content: `tok${i + 1} ` }, null)),
  chunk({}, 'stop'),
  Buffer.from('data: [DONE]\n\n'),
]

function streamTo(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  let next = 0
  const writeNext = () => {
    if (res.destroyed) return
    res.write(events[next++])
    if (next < events.length) setImmediate(writeNext)
    else res.end()
  }
  writeNext()
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end('{"error":{"message":"not found"}}')
    return
  }
  const parts = []
  req.on('data', (part) => parts.push(part))
  req.on('end', () => {
    let body
    try {
      body = JSON.parse(parts.length === 1 ? parts[0] : Buffer.concat(parts))
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end('{"error":{"message":"invalid JSON"}}')
      return
    }
    if (body.stream === true) return streamTo(res)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': completion.length })
    res.end(completion)
  })
})

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, pid: process.pid })}\n`)
})
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}
