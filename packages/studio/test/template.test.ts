import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { TEMPLATE_FILE } from '../src/db/database.js'

describe('the first-start template', () => {
  it('is the one the build made, found from source as from the build (else every new embedded database runs initdb)', async () => {
    const built = (await import(new URL('../dist/db/database.js', import.meta.url).href)) as { TEMPLATE_FILE: string }
    expect(TEMPLATE_FILE).toBe(built.TEMPLATE_FILE)
    expect(existsSync(TEMPLATE_FILE)).toBe(true)
  })
})
