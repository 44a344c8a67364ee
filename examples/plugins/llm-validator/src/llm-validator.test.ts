import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { LlmValidator, baseUrlProblem, isLoopbackHost } from './llm-validator.js'

const llm = { slug: 'gpt', name: 'GPT', vendor: 'openai', models: ['gpt-4o'] }

async function validator(config: unknown = null) {
  return createTestHost(new LlmValidator(), { runtime: 'studio', config: config as never })
}

const modifiedObject = (result: Awaited<ReturnType<Awaited<ReturnType<typeof validator>>['objectEvent']>>) =>
  result.result?.$case === 'modify' ? JSON.parse(result.result.value.json.toString()) : undefined

describe('LlmValidator (in-process)', () => {
  it('subscribes to LLM creates and updates', async () => {
    const host = await validator()
    expect(host.manifest()).toMatchObject({ objectHooks: ['llm:before_create', 'llm:before_update'], runtimes: ['studio'], capabilities: expect.arrayContaining(['object_hooks']) })
  })

  it('refuses a plain-http base URL on a public host, saying why', async () => {
    const host = await validator()
    const result = await host.objectEvent({ objectType: 'llm', event: 'before_create', object: { ...llm, baseUrl: 'http://example.com/v1' } })
    expect(result.result).toEqual({ $case: 'reject', value: { message: expect.stringMatching(/^baseUrl http:\/\/example\.com is not https: .*clear text.*loopback/) } })
  })

  it.each(['https://api.openai.com/v1', 'http://localhost:11434/v1', 'http://127.0.0.1:8080', 'http://127.1.2.3', 'http://[::1]:9000', 'http://LOCALHOST./v1'])('allows %s', async (baseUrl) => {
    const host = await validator()
    const result = await host.objectEvent({ objectType: 'llm', event: 'before_create', object: { ...llm, baseUrl, description: 'set' } })
    expect(result.result).toEqual({ $case: 'pass', value: {} })
  })

  it.each([
    ['not a url', /is not a URL/],
    ['ftp://example.com', /must be an https URL, not ftp:/],
    ['http://127.0.0.1.example.com', /is not https/],
    ['http://[::ffff:8.8.8.8]', /is not https/],
    [`https://example.com/${'a'.repeat(5000)}`, /more than 2048/],
  ])('refuses %s', async (baseUrl, message) => {
    const host = await validator()
    const result = await host.objectEvent({ objectType: 'llm', event: 'before_create', object: { ...llm, baseUrl } })
    expect(result.result?.$case === 'reject' && result.result.value.message).toMatch(message)
  })

  it('refuses garbage instead of failing: a non-object LLM, a non-string baseUrl', async () => {
    const host = await validator()
    expect((await host.objectEvent({ objectType: 'llm', event: 'before_create', object: [1, 2] })).result).toMatchObject({ $case: 'reject', value: { message: 'the LLM is not a JSON object' } })
    expect((await host.objectEvent({ objectType: 'llm', event: 'before_create', object: { ...llm, baseUrl: { href: 'x' } } })).result).toMatchObject({ $case: 'reject', value: { message: 'baseUrl must be a string' } })
  })

  it('fills an empty description from the default template', async () => {
    const host = await validator()
    expect(modifiedObject(await host.objectEvent({ objectType: 'llm', event: 'before_create', object: { ...llm, description: '  ' } }))).toEqual({ ...llm, description: 'openai LLM GPT' })
    // Studio names an LLM after its slug when it has no name.
    expect(modifiedObject(await host.objectEvent({ objectType: 'llm', event: 'before_create', object: { slug: 'm', vendor: 'mock', models: ['x'] } }))?.description).toBe('mock LLM m')
  })

  it('fills from a configured template, cut to what Studio stores', async () => {
    const host = await validator({ defaultDescription: '{name} ({slug}) by {vendor}, {unknown}' })
    expect(modifiedObject(await host.objectEvent({ objectType: 'llm', event: 'before_create', object: llm }))?.description).toBe('GPT (gpt) by openai, {unknown}')
    const long = await validator({ defaultDescription: '{name}'.repeat(80) })
    const named = modifiedObject(await long.objectEvent({ objectType: 'llm', event: 'before_create', object: { ...llm, name: 'n'.repeat(200) } }))
    expect(named.description).toHaveLength(2000)
  })

  it('checks only what an update patch sets, and keeps an existing description', async () => {
    const host = await validator()
    const previous = { ...llm, baseUrl: 'http://example.com', description: 'ours' }
    expect((await host.objectEvent({ objectType: 'llm', event: 'before_update', object: { models: ['a'] }, previous })).result?.$case).toBe('pass')
    expect((await host.objectEvent({ objectType: 'llm', event: 'before_update', object: { baseUrl: '' }, previous })).result?.$case).toBe('pass')
    expect((await host.objectEvent({ objectType: 'llm', event: 'before_update', object: { baseUrl: 'http://evil.example' }, previous })).result?.$case).toBe('reject')
  })

  it('gives an update a description when it clears it or the LLM has none, from the merged facts', async () => {
    const host = await validator()
    const previous = { ...llm, description: '' }
    expect(modifiedObject(await host.objectEvent({ objectType: 'llm', event: 'before_update', object: { name: 'Renamed' }, previous }))).toEqual({ name: 'Renamed', description: 'openai LLM Renamed' })
    expect(modifiedObject(await host.objectEvent({ objectType: 'llm', event: 'before_update', object: { description: '' }, previous: { ...llm, description: 'x' } }))).toEqual({ description: 'openai LLM GPT' })
  })

  it.each([[[]], [{ defaultDescription: 5 }], [{ defaultDescription: 'x'.repeat(501) }]])('refuses config %j', async (config) => {
    await expect(validator(config)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('knows loopback hosts after URL normalization', () => {
    expect(isLoopbackHost(new URL('http://0x7f.1/').hostname)).toBe(true)
    expect(isLoopbackHost(new URL('http://[0:0:0:0:0:0:0:1]/').hostname)).toBe(true)
    expect(isLoopbackHost('128.0.0.1')).toBe(false)
    expect(baseUrlProblem('https://example.com')).toBeUndefined()
  })
})
