import { describe, expect, it } from 'vitest'
import { parseConfig } from '@plugboard/gateway'
import { DEFAULT_DEMO_KEY, demoKeyOf, startupSummary } from '../src/startup-summary.js'

const config = (key: string) =>
  parseConfig(
    `
llms: [{ slug: mock, vendor: mock, models: [mock-gpt] }, { slug: other, vendor: mock, models: [a, b] }]
apps: [{ id: demo, name: Demo, keys: [{ value: ${key} }], allowedLlms: ['*'] }]
`,
    { baseDir: '/' },
  )

describe('the startup summary', () => {
  it('shows the demo key only when the config accepts it, from PLUGBOARD_DEMO_KEY or the default', () => {
    expect(demoKeyOf(config(DEFAULT_DEMO_KEY), {})).toBe(DEFAULT_DEMO_KEY)
    expect(demoKeyOf(config('pb-chosen-key-0123456789'), { PLUGBOARD_DEMO_KEY: 'pb-chosen-key-0123456789' })).toBe('pb-chosen-key-0123456789')
    expect(demoKeyOf(config('pb-secret-key-0123456789'), { PLUGBOARD_DEMO_KEY: 'pb-other-key-0123456789' })).toBeUndefined()
  })

  it('lists every LLM with its models, and puts a placeholder in the curl when no key can be shown', () => {
    const text = startupSummary({ url: 'http://127.0.0.1:8080', config: config('pb-secret-key-0123456789'), logLevel: 'warn' })
    expect(text).toContain('  LLMs      mock (mock): mock-gpt\n            other (mock): a, b\n')
    expect(text).toContain('  Plugins   none\n')
    expect(text).toContain(`-H 'authorization: Bearer <an app key from the config>'`)
    expect(text).toContain('"model":"mock-gpt"')
    expect(text).not.toContain('pb-secret-key')
  })
})
