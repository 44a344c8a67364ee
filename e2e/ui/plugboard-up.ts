import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = join(root, 'node_modules/.bin/plugboard')

export interface RunningPlatform {
  url: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface StartOptions {
  /** More environment for the platform, e.g. `DATABASE_URL` for a PostgreSQL database a test has filled. */
  env?: Record<string, string>
}

/**
 * `plugboard up` as a user runs it (the built CLI, Studio and the gateway on
 * one loopback port), on a new data directory with the first admin from env;
 * resolves once it printed its summary.
 */
export async function startPlatform(admin: { email: string; password: string }, options: StartOptions = {}): Promise<RunningPlatform> {
  const data = mkdtempSync(join(tmpdir(), 'pb-e2e-ui-'))
  const port = await freePort()
  const child: ChildProcess = spawn(bin, ['up', '--no-seed', '--data', data, '--port', String(port)], {
    cwd: root,
    env: { ...process.env, ...options.env, LOG_LEVEL: 'warn', PLUGBOARD_ADMIN_EMAIL: admin.email, PLUGBOARD_ADMIN_PASSWORD: admin.password },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let summary = ''
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => (summary += chunk.toString()).includes('Ctrl-C stops.') && resolve())
      child.once('exit', (code) => reject(new Error(`plugboard up exited with ${code}:\n${summary}`)))
    })
  } catch (error) {
    rmSync(data, { recursive: true, force: true })
    throw error
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
      rmSync(data, { recursive: true, force: true })
    },
  }
}
