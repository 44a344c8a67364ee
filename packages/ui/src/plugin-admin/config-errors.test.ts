import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/api-error'
import { configErrorsOf, pointerSegments } from './config-errors'

describe("Studio's config problems on the form", () => {
  it('puts each /config/… detail under its field, and /config itself at the top', () => {
    const error = new ApiError('PLUGIN_CONFIG_INVALID', 'config does not match the schema', 422, [
      { path: '/config/greeting', message: 'must NOT have fewer than 3 characters' },
      { path: '/config/allow/0', message: 'must be string' },
      { path: '/config', message: 'must NOT have additional properties' },
      { path: '/scopes/0', message: 'is not requested by the manifest' },
    ])
    expect(configErrorsOf(error)).toEqual({
      greeting: { __errors: ['must NOT have fewer than 3 characters'] },
      allow: { 0: { __errors: ['must be string'] } },
      __errors: ['must NOT have additional properties'],
    })
  })

  it('names no field for an error that is not about the config', () => {
    expect(configErrorsOf(new ApiError('NOT_FOUND', 'no plugin', 404))).toBeUndefined()
    expect(configErrorsOf(new TypeError('failed to fetch'))).toBeUndefined()
  })

  it("keeps a key named __proto__ as the config's own field", () => {
    const errors = configErrorsOf(new ApiError('PLUGIN_CONFIG_INVALID', 'bad', 422, [{ path: '/config/__proto__/x', message: 'must be string' }]))
    expect(Object.hasOwn(errors!, '__proto__')).toBe(true)
    expect(({} as { x?: unknown }).x).toBeUndefined()
  })

  it('reads escaped JSON pointer segments', () => {
    expect(pointerSegments('/a~1b/c~0d')).toEqual(['a/b', 'c~d'])
    expect(pointerSegments('')).toEqual([])
  })
})
