import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { GATEWAY_ERRORS } from '@plugboard/gateway'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('gateway error codes', () => {
  it.each(Object.entries(GATEWAY_ERRORS))('%s is documented in the README with its status and meaning', (code, entry) => {
    const status = 'statusDoc' in entry ? entry.statusDoc : entry.status
    expect(readme).toContain(`| \`${code}\` | ${status} | ${entry.doc} |`)
  })
})
