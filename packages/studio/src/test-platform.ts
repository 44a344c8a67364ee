import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { API_PREFIX } from './api/server.js'
import { Platform } from './platform.js'

/** The first admin of a test platform; `token` authenticates the admin API. */
export const TEST_ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple', token: 'pbt_test_admin_token_0123456789abcdef' }

export interface ApiAnswer {
  status: number
  // The admin API's answers are JSON of many shapes; tests assert on them.
  json: any
  /** The object's version, for If-Match. */
  etag: string | null
}

/** What an installed plugin is given before it is enabled, each through its own admin route. */
export interface PluginGrants {
  scopes?: string[]
  topics?: { publish?: string[]; subscribe?: string[] }
  objectHooks?: string[]
  config?: unknown
  /** The apps and LLMs it is bound to; for an agent, the LLMs, tools and datasources it is given (slugs). */
  binding?: { apps?: string[]; llms?: string[]; tools?: string[]; datasources?: string[] }
}

/** A run of a schedule as the admin API shows it (the fields tests look at). */
export interface ScheduleRun {
  id: string
  status: string
  output: unknown
  error: string | null
}

export interface TestPlatform {
  platform: Platform
  /** The platform's base URL: the LLM API at /v1, the admin API at /api/v1. */
  url: string
  /** Calls the admin API (`path` below /api/v1) as the first admin. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>
  /**
   * Installs a plugin from `source` (`file://<package dir>`), grants what
   * `grants` lists, sets its config and enables it; throws with the API's
   * answer when a step fails.
   */
  installPlugin(name: string, source: string, grants?: PluginGrants): Promise<ApiAnswer>
  /**
   * Runs a plugin's manifest schedule now and waits (up to `timeoutMs`) for the
   * run to finish; answers the run (`status` completed, failed, timed_out).
   */
  runSchedule(plugin: string, scheduleId: string, timeoutMs?: number): Promise<ScheduleRun>
  /** Stops the platform and removes its data directory. */
  close(): Promise<void>
}

/**
 * A real Studio and gateway (`plugboard up`) on PGlite in a scratch
 * directory, on a free port, logging nothing: for integration tests of
 * plugins against the real admin API.
 *
 * @example
 * const test = await startTestPlatform()
 * await test.installPlugin('llm-validator', `file://${packageDir}`, { objectHooks: ['llm'] })
 * expect((await test.api('POST', '/llms', { slug: 'x', vendor: 'openai', baseUrl: 'http://example.com', models: ['m'] })).status).toBe(422)
 * await test.close()
 */
export async function startTestPlatform(options: { analytics?: boolean } = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-test-platform-'))
  let platform: Platform
  try {
    platform = await Platform.start({
      dataDir,
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      // Off unless asked for: a test looking at the requests table sees only what it wrote.
      analytics: options.analytics ?? false,
      env: { PLUGBOARD_ADMIN_EMAIL: TEST_ADMIN.email, PLUGBOARD_ADMIN_PASSWORD: TEST_ADMIN.password, PLUGBOARD_ADMIN_TOKEN: TEST_ADMIN.token },
    })
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> => {
    const response = await fetch(`${platform.url}${API_PREFIX}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN.token}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, json: text ? JSON.parse(text) : undefined, etag: response.headers.get('etag') }
  }
  const expectOk = async (step: string, answer: Promise<ApiAnswer>): Promise<ApiAnswer> => {
    const done = await answer
    if (done.status >= 300) throw new Error(`${step} answered ${done.status}: ${JSON.stringify(done.json)}`)
    return done
  }

  return {
    platform,
    url: platform.url,
    api,
    async installPlugin(name, source, grants = {}) {
      const id = encodeURIComponent(name)
      await expectOk(`installing ${name}`, api('POST', '/plugins', { source, name }))
      for (const scope of grants.scopes ?? []) await expectOk(`granting ${scope}`, api('POST', `/plugins/${id}/scopes`, { scope }))
      const patch = {
        ...(grants.topics && { topics: grants.topics }),
        ...(grants.objectHooks && { objectHooks: grants.objectHooks }),
        ...(grants.config !== undefined && { config: grants.config }),
        ...grants.binding,
      }
      if (Object.keys(patch).length > 0) await expectOk(`configuring ${name}`, api('PATCH', `/plugins/${id}`, patch))
      return expectOk(`enabling ${name}`, api('POST', `/plugins/${id}/enable`))
    },
    async runSchedule(plugin, scheduleId, timeoutMs = 10_000) {
      const schedules = await expectOk('listing schedules', api('GET', `/schedules?plugin=${encodeURIComponent(plugin)}`))
      const schedule = (schedules.json.items as Array<{ id: string; scheduleId: string }>).find((item) => item.scheduleId === scheduleId)
      if (!schedule) throw new Error(`plugin ${plugin} has no schedule ${scheduleId}: ${JSON.stringify(schedules.json.items)}`)
      const run = (await expectOk(`running ${scheduleId}`, api('POST', `/schedules/${schedule.id}/run`))).json as { id: string }
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const runs = await expectOk('listing runs', api('GET', `/schedules/${schedule.id}/runs`))
        const current = (runs.json.items as ScheduleRun[]).find((item) => item.id === run.id)
        if (current && !['pending', 'running'].includes(current.status)) return current
        await sleep(50)
      }
      throw new Error(`run ${run.id} of ${plugin}/${scheduleId} did not finish within ${timeoutMs} ms`)
    },
    async close() {
      await platform.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
