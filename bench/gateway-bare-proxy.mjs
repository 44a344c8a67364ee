// The gateway bench's reference proxy: the least a Node proxy built like the gateway can do
// (node:http server in, undici to the upstream out, the same Agent settings), with none of the
// gateway's logic: no auth, no hooks, no JSON parse, no metrics, no SSE parsing (bytes are piped).
// The gap between it and the direct figures is what Node's HTTP stack costs on the machine; the
// gap between it and the gateway is what the gateway's own code costs.
// `node bench/gateway-bare-proxy.mjs UPSTREAM_URL`; prints `{"url","pid"}` once listening.
import { createServer } from 'node:http'
import { Agent, request } from 'undici'

const upstream = process.argv[2]
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 })

const server = createServer({ keepAliveTimeout: 65_000 }, async (req, res) => {
  try {
    const parts = []
    for await (const part of req) parts.push(part)
    const body = parts.length === 1 ? parts[0] : Buffer.concat(parts)
    const path = req.url.replace(/^\/v1/, '')
    const response = await request(`${upstream}${path}`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body,
    })
    const contentType = response.headers['content-type']
    if (contentType === 'text/event-stream') {
      res.writeHead(response.statusCode, { 'content-type': contentType, 'cache-control': 'no-cache' })
      for await (const chunk of response.body) res.write(chunk)
      res.end()
    } else {
      const payload = Buffer.from(await response.body.arrayBuffer())
      res.writeHead(response.statusCode, { 'content-type': contentType, 'content-length': payload.length })
      res.end(payload)
    }
  } catch (error) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
    res.end(String(error))
  }
})

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, pid: process.pid })}\n`)
})
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}
