import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SDK_ERROR_CODES } from './errors.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('SDK error codes', () => {
  it.each(SDK_ERROR_CODES)('%s is documented in the README', (code) => {
    expect(readme).toMatch(new RegExp(`\\| \`${code}\` \\| \\S`))
  })
})
