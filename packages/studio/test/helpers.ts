import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Studio } from '../src/index.js'
import { scratchPostgres } from '../src/testing.js'

/** Both databases every data-layer test runs against. */
export const DATABASES = ['pglite', 'postgres'] as const
export type DatabaseKind = (typeof DATABASES)[number]

export { POSTGRES_ADMIN_URL } from '../src/testing.js'

/** A new, empty PostgreSQL database; dropped by the returned function. */
export const freshPostgres = () => scratchPostgres()

export const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple', token: 'pbt_test_admin_token_0123456789abcdef' }

export interface TestStudio {
  studio: Studio
  dataDir: string
  databaseUrl: string | undefined
  /** An inject call as the admin's bearer token. */
  api: (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; json: any; headers: Record<string, unknown> }>
  /** Closes Studio and starts it again on the same data directory and database (`studio` is the new one). */
  restart: () => Promise<void>
  close: () => Promise<void>
}

/** Studio on a fresh database of `kind`, with the first admin from env (ADMIN). */
export async function startStudio(kind: DatabaseKind, env: NodeJS.ProcessEnv = {}): Promise<TestStudio> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-studio-'))
  const postgres = kind === 'postgres' ? await freshPostgres() : undefined
  const start = () =>
    Studio.start({
      dataDir,
      databaseUrl: postgres?.url,
      env: { PLUGBOARD_ADMIN_EMAIL: ADMIN.email, PLUGBOARD_ADMIN_PASSWORD: ADMIN.password, PLUGBOARD_ADMIN_TOKEN: ADMIN.token, ...env },
      logger: pino({ level: 'silent' }),
    })
  let studio = await start()
  return {
    get studio() {
      return studio
    },
    dataDir,
    databaseUrl: postgres?.url,
    api: async (method, url, body, headers = {}) => {
      const response = await studio.api.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${ADMIN.token}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
        ...(body !== undefined && { payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
      })
      return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined, headers: response.headers }
    },
    restart: async () => {
      await studio.close()
      studio = await start()
    },
    close: async () => {
      await studio.close()
      await postgres?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** psql is on the machines; used only to check the server is up before the suites that need it. */
export function postgresAvailable(): boolean {
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
