import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { MemoryEventBus, type servicev1 } from '@plugboard/proto'
import { ADMIN, startStudio, type TestStudio } from '../../test/helpers.js'
import { ChangeFeed, type ObjectType } from '../api/changes.js'
import { SystemEventPublisher, type ObjectChangeEvent } from './system-events.js'

/** Everything published on `bus` under `pattern`, read as object change events. */
function collect(bus: MemoryEventBus, pattern: string) {
  const controller = new AbortController()
  const events: servicev1.Event[] = []
  void (async () => {
    for await (const event of bus.subscribe(pattern, controller.signal)) events.push(event)
  })()
  return { events, stop: () => controller.abort() }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  expect(condition()).toBe(true)
}

describe('system events from a real Studio', () => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio('pglite')
  })
  afterAll(() => s?.close())

  it('publishes each LLM write as system.objects.llm.<action> with the presented object, never its API key', async () => {
    const bus = new MemoryEventBus()
    const plural: Partial<Record<ObjectType, string>> = { llm: 'llms', app: 'apps' }
    const present = async (type: ObjectType, id: string) => {
      const response = await s.studio.api.inject({ method: 'GET', url: `/api/v1/${plural[type]}/${id}`, headers: { authorization: `Bearer ${ADMIN.token}` } })
      return response.statusCode === 200 ? (JSON.parse(response.body) as unknown) : undefined
    }
    const publisher = new SystemEventPublisher({ changes: s.studio.context.changes, bus, present, logger: pino({ level: 'silent' }) })
    const consumer = collect(bus, 'system.objects.llm.>')
    await new Promise((resolve) => setImmediate(resolve))

    const created = await s.api('POST', '/api/v1/llms', { slug: 'events-llm', vendor: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-secret-abcd1234', models: ['m'] })
    expect(created.status).toBe(201)
    expect((await s.api('PATCH', `/api/v1/llms/${created.json.id}`, { name: 'Renamed' }, { 'if-match': '"1"' })).status).toBe(200)
    expect((await s.api('DELETE', `/api/v1/llms/${created.json.id}`, undefined, { 'if-match': '2' })).status).toBe(204)
    await until(() => consumer.events.length === 3)
    await publisher.close()
    consumer.stop()

    expect(consumer.events.map((event) => `${event.topic}<${event.source}`)).toEqual([
      'system.objects.llm.create<host',
      'system.objects.llm.update<host',
      'system.objects.llm.delete<host',
    ])
    const payloads = consumer.events.map((event) => JSON.parse(event.payload.toString()) as ObjectChangeEvent)
    expect(payloads[0]).toMatchObject({ type: 'llm', action: 'create', id: created.json.id, object: { slug: 'events-llm', apiKeyHint: '…1234' } })
    expect(payloads[1]).toMatchObject({ action: 'update', object: { name: 'Renamed', version: 2 } })
    expect(payloads[2]).toEqual({ type: 'llm', action: 'delete', id: created.json.id })
    for (const event of consumer.events) expect(event.payload.toString()).not.toMatch(/sk-secret|apiKey"/)
  })
})

describe('SystemEventPublisher', () => {
  it('strips secret-named fields a presenter leaks, and a failing presenter costs only its event', async () => {
    const changes = new ChangeFeed()
    const bus = new MemoryEventBus()
    const present = async (_type: ObjectType, id: string) => {
      if (id === 'broken') throw new Error('presenter failed')
      return { id, apiKey: 'sk-leak', apiKeyHint: '…leak', nested: [{ password: 'p', passwordHash: 'h', keep: 1 }], api_key_encrypted: 'x' }
    }
    const publisher = new SystemEventPublisher({ changes, bus, present, logger: pino({ level: 'silent' }) })
    const consumer = collect(bus, 'system.>')
    await new Promise((resolve) => setImmediate(resolve))
    await changes.publish({ type: 'llm', action: 'update', id: 'broken' })
    await changes.publish({ type: 'llm', action: 'update', id: 'a' })
    await until(() => consumer.events.length === 1)
    await publisher.close()
    consumer.stop()
    expect(JSON.parse(consumer.events[0]!.payload.toString())).toEqual({ type: 'llm', action: 'update', id: 'a', object: { id: 'a', apiKeyHint: '…leak', nested: [{ keep: 1 }] } })
  })

  it('drops and counts changes beyond its bound instead of queueing without end', async () => {
    const changes = new ChangeFeed()
    let release!: () => void
    const blocked = new Promise<void>((resolve) => (release = resolve))
    const publisher = new SystemEventPublisher({ changes, bus: new MemoryEventBus(), present: () => blocked, logger: pino({ level: 'silent' }), maxPending: 2 })
    for (let i = 0; i < 5; i++) await changes.publish({ type: 'app', action: 'update', id: String(i) })
    // The first is being presented; two wait; two did not fit.
    expect(publisher.dropped).toBe(2)
    release()
    await publisher.close()
  })
})
