import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MCP_SERVER_ERROR_CODES } from './errors.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('error codes', () => {
  it.each(MCP_SERVER_ERROR_CODES)('%s is documented in the README', (code) => {
    expect(readme).toContain(`| \`${code}\` |`)
  })
})
