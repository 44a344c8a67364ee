import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { HOST_ERRORS, httpStatusOf } from '@plugboard/host'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('host error codes', () => {
  it.each(Object.entries(HOST_ERRORS))('%s is documented in the README with its status and meaning', (code, { status, doc }) => {
    expect(readme).toContain(`| \`${code}\` | ${status} | ${doc} |`)
  })

  it('maps codes a plugin invented to 502', () => {
    expect(httpStatusOf('SCOPE_DENIED')).toBe(403)
    expect(httpStatusOf('MY_PLUGIN_ERROR')).toBe(502)
  })
})
