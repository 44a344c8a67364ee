import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
/** What `npx plugboard` runs: the link npm made at install time. */
const bin = join(root, 'node_modules/.bin/plugboard')
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

/** Runs a command to its end. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()))
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

describe('the plugboard command after npm install', () => {
  it('is linked to a file that exists before anything is built, which explains how to build when dist is missing', async () => {
    const { bin: bins } = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as { bin: Record<string, string> }
    const target = join(root, 'packages/cli', bins.plugboard!)
    expect(target).not.toContain('/dist/')
    expect(statSync(target).mode & 0o111).not.toBe(0)
    expect(existsSync(bin)).toBe(true)

    // The shim copied where no dist/ sits beside it: what a clone installed with --ignore-scripts sees.
    const unbuilt = mkdtempSync(join(tmpdir(), 'plugboard-cli-'))
    try {
      copyFileSync(target, join(unbuilt, 'plugboard.js'))
      const result = await run(process.execPath, [join(unbuilt, 'plugboard.js'), '--help'])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('Run "npm run build"')
    } finally {
      rmSync(unbuilt, { recursive: true, force: true })
    }
  })

  it('explains its commands with --help, help or no arguments, and each option of gateway with gateway --help', async () => {
    for (const args of [['--help'], ['help'], []]) {
      const result = await run(bin, args)
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Usage: plugboard <command>/)
      expect(result.stdout).toContain('gateway --config examples/gateway.yaml')
    }
    const gateway = await run(bin, ['gateway', '--help'])
    expect(gateway.code).toBe(0)
    for (const option of ['--config FILE', '--port N', '--host ADDR', 'PLUGBOARD_PORT', 'LOG_LEVEL', 'PLUGBOARD_MASTER_KEY']) expect(gateway.stdout).toContain(option)
    expect((await run(bin, ['--version'])).stdout.trim()).toBe('0.1.0')
  })

  it.each([
    [['serve'], 'unknown command "serve"', 'plugboard --help'],
    [['--verbose'], 'unknown option "--verbose"', 'plugboard --help'],
    [['gateway', '--config', 'examples/gateway.yaml', '--prot', '9'], "Unknown option '--prot'", 'plugboard gateway --help'],
    [['gateway'], 'needs --config FILE', 'plugboard gateway --help'],
    [['gateway', '--config', 'examples/gateway.yaml', '--port', 'eighty'], '--port must be a port number', 'plugboard gateway --help'],
  ])('refuses %j with a clear message and exit status 2', async (args, message, help) => {
    const result = await run(bin, args)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stderr).toContain(`Run "${help}"`)
  })

  it('exits 1 with the error code when the gateway cannot start', async () => {
    const result = await run(bin, ['gateway', '--config', 'no-such-config.yaml'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^plugboard: CONFIG_INVALID: cannot read config file \S*no-such-config\.yaml: ENOENT/)
  })

  it('warns at start when the config file holds vendor keys and other users may read it, and not once it is 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-cli-keys-'))
    const config = join(dir, 'gateway.yaml')
    writeFileSync(config, 'server: { port: 0 }\nllms: [{ slug: up, vendor: openai, baseUrl: "http://127.0.0.1:9/v1", apiKey: sk-secret-0123, models: [m] }]\n')
    /** The warn-level lines of a gateway started from `config`: the warning follows the listening line, or a second after it none came. */
    const warnings = async () => {
      const child = spawn(bin, ['gateway', '--config', config], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] })
      const lines: Array<Record<string, unknown>> = []
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>
          lines.push(entry)
          if (entry.level === 40) resolve()
          if (entry.msg === 'gateway listening') setTimeout(resolve, 1000)
        })
        child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before listening`)))
      })
      child.kill('SIGKILL')
      await once(child, 'exit')
      return lines.filter((entry) => entry.level === 40).map((entry) => entry.msg)
    }
    try {
      chmodSync(config, 0o644)
      expect(await warnings()).toContain('the config file holds vendor keys and other users may read it; chmod 600 it')
      chmodSync(config, 0o600)
      expect(await warnings()).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** The README's quick start as scripts run it (stdout not a terminal): `npx plugboard gateway --config examples/gateway.yaml`. */
describe('plugboard gateway with the demo config, logging JSON', () => {
  let child: ChildProcess
  let url: string
  const logLines: Record<string, unknown>[] = []

  beforeAll(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    // file-analytics runs under its own uid when the tests run as root: its directory must be writable by it.
    const analytics = mkdtempSync(join(tmpdir(), 'plugboard-cli-'))
    chmodSync(analytics, 0o777)
    child = spawn(bin, ['gateway', '--config', 'examples/gateway.yaml'], {
      cwd: root,
      env: { ...process.env, PLUGBOARD_PORT: String(port), PLUGBOARD_DEMO_KEY: DEMO_KEY, PLUGBOARD_ANALYTICS_DIR: analytics, LOG_LEVEL: 'info' },
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
    expect(response.headers.get('x-served-by')).toBe('plugboard')
    const body = (await response.json()) as { object: string; choices: { message: { content: string } }[] }
    expect(body.object).toBe('chat.completion')
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0)

    const rejected = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer wrong-key-0123456789', 'content-type': 'application/json' }, body: '{}' })
    expect(rejected.status).toBe(401)
    expect(((await rejected.json()) as { error: { code: string } }).error.code).toBe('INVALID_API_KEY')
  })

  it('answers GET / with what the gateway is and where its routes are', async () => {
    const response = await fetch(`${url}/`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      name: 'plugboard-gateway',
      version: '0.1.0',
      links: { health: '/health', ready: '/ready', metrics: '/metrics', models: '/v1/models' },
      docs: expect.stringContaining('packages/gateway/README.md'),
    })
  })

  it('says whether a plugin route missed because no plugin of that name serves endpoints, or because the plugin has no such endpoint', async () => {
    const error = async (path: string) => ((await (await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${DEMO_KEY}` } })).json()) as { error: { code: string; message: string } }).error
    expect(await error('/plugins/foo/mcp')).toEqual(expect.objectContaining({ code: 'ROUTE_NOT_FOUND', message: expect.stringMatching(/^no plugin "foo" with endpoints is loaded;/) }))
    // Unauthenticated callers learn nothing of plugins without endpoints.
    expect((await error('/plugins/rate-limiter/x')).message).toMatch(/^no plugin "rate-limiter" with endpoints is loaded;/)
    expect((await error('/plugins/mcp/nothing-here')).message).toBe('plugin "mcp" serves no POST /nothing-here')
  })

  it('serves MCP sessions of the official client, which close their streams, without logging anything at error level', async () => {
    for (let session = 0; session < 3; session++) {
      const client = new Client({ name: 'plugboard-cli-test', version: '1.0.0' })
      const transport = new StreamableHTTPClientTransport(new URL(`${url}/plugins/mcp/mcp`), { requestInit: { headers: { authorization: `Bearer ${DEMO_KEY}` } } })
      await client.connect(transport)
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('calculator')
      expect(await client.callTool({ name: 'calculator', arguments: { expression: '6*7' } })).toMatchObject({ structuredContent: { result: 42 } })
      await client.close()
    }
    // Log lines are written asynchronously: give the last ones time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(logLines.filter((line) => (line.level as number) >= 50)).toEqual([])
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

/** `script` (util-linux) runs the gateway on a pseudo-terminal, as a newcomer's shell does. */
const hasScript = existsSync('/usr/bin/script')

describe.skipIf(!hasScript)('plugboard gateway on a terminal', () => {
  it('prints a summary with the URL, models, plugins and a curl with the demo key, then stops on Ctrl-C', async () => {
    const port = await freePort()
    const analytics = join(mkdtempSync(join(tmpdir(), 'plugboard-cli-')), 'analytics.jsonl')
    // exec: Ctrl-C reaches the gateway itself, with no shell between that would report its own status.
    const command = `exec ${bin} gateway --config examples/gateway.yaml`
    const { LOG_LEVEL: _, ...withoutLogLevel } = process.env
    const terminal = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], {
      cwd: root,
      env: { ...withoutLogLevel, PLUGBOARD_PORT: String(port), PLUGBOARD_DEMO_KEY: DEMO_KEY, PLUGBOARD_ANALYTICS_FILE: analytics },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let output = ''
    try {
      await new Promise<void>((resolve, reject) => {
        terminal.stdout.on('data', (data: Buffer) => {
          output += data.toString()
          if (output.includes('Ctrl-C stops.')) resolve()
        })
        terminal.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before its summary:\n${output}`)))
      })
      const text = output.replace(/\r/g, '')
      expect(text).toContain(`Plugboard gateway listening on http://127.0.0.1:${port}`)
      expect(text).toContain('mock (mock): mock-gpt, mock-gpt-mini')
      expect(text).toContain('ip-allowlist, custom-auth, rate-limiter')
      expect(text).toContain(`curl -i http://127.0.0.1:${port}/v1/chat/completions`)
      expect(text).toContain(`-H 'authorization: Bearer ${DEMO_KEY}'`)
      // The info lines a script would get are left out: the summary is the first thing on the screen.
      expect(text).not.toContain('"msg":"plugin started"')
      expect(text.trimStart()).toMatch(/^Plugboard gateway listening/)

      terminal.stdin.write('\x03')
      const [code] = (await once(terminal, 'exit')) as [number]
      expect(code, output.replace(/\r/g, '')).toBe(0)
    } finally {
      if (terminal.exitCode === null) {
        terminal.kill('SIGKILL')
        await once(terminal, 'exit')
      }
    }
  })
})
