import { describe, expect, it } from 'vitest'
import { httpStatusOf } from '@plugboard/host'

// That every code is documented is checked for all packages by packages/cli/test/error-catalogue.test.ts.
describe('host error codes', () => {
  it('maps codes a plugin invented to 502', () => {
    expect(httpStatusOf('SCOPE_DENIED')).toBe(403)
    expect(httpStatusOf('MY_PLUGIN_ERROR')).toBe(502)
  })
})
