import { describe, expect, it } from 'vitest'
import { hasSettings } from './has-settings'

describe('hasSettings', () => {
  it('is false for no schema and for an object schema with nothing to fill in', () => {
    expect(hasSettings(null)).toBe(false)
    expect(hasSettings(true)).toBe(false)
    expect(hasSettings({ type: 'object' })).toBe(false)
    expect(hasSettings({ type: 'object', properties: {}, additionalProperties: false })).toBe(false)
  })

  it('is true for properties, a schema for other properties, or a value that is no object', () => {
    expect(hasSettings({ type: 'object', properties: { limit: { type: 'integer' } } })).toBe(true)
    expect(hasSettings({ type: 'object', additionalProperties: { type: 'string' } })).toBe(true)
    expect(hasSettings({ type: 'array', items: { type: 'string' } })).toBe(true)
  })
})
