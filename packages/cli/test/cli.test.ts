import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const DEMO_KEY = 'pb-cli-test-key-0123456789'

/** A free loopback port: bind port 0, read it, release it. */
async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** The README's quick start as scripts run it: `npx plugboard gateway --config examples/gateway.yaml`. */
describe('plugboard gateway', () => {
  let child: ChildProcess
  let url: string
  const logLines: Record<string, unknown>[] = []

  beforeAll(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    child = spawn(process.execPath, ['packages/cli/dist/main.js', 'gateway', '--config', 'examples/gateway.yaml'], {
      cwd: root,
      env: { ...process.env, PLUGBOARD_PORT: String(port), PLUGBOARD_DEMO_KEY: DEMO_KEY, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const listening = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>
        logLines.push(entry)
        if (entry.msg === 'gateway listening') resolve()
      })
      child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before listening`)))
    })
    await listening
  })

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  })

  it('serves the demo model to the demo key through the example plugins, logging JSON lines with the request id', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json', 'x-request-id': 'cli-test-1' },
      body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hello' }] }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBe('cli-test-1')
    const body = (await response.json()) as { object: string; choices: { message: { content: string } }[] }
    expect(body.object).toBe('chat.completion')
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0)

    const rejected = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer wrong-key-0123456789', 'content-type': 'application/json' }, body: '{}' })
    expect(rejected.status).toBe(401)
    expect(((await rejected.json()) as { error: { code: string } }).error.code).toBe('INVALID_API_KEY')
  })

  it('stops on SIGTERM with exit code 0, after writing every log line', async () => {
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(0)
    expect(logLines.some((line) => line.requestId === 'cli-test-1' && line.msg === 'request completed' && line.status === 200)).toBe(true)
    const shutdown = logLines.findIndex((line) => line.msg === 'shutting down' && line.signal === 'SIGTERM')
    expect(shutdown).toBeGreaterThan(logLines.findIndex((line) => line.requestId === 'cli-test-1'))
  })
})
