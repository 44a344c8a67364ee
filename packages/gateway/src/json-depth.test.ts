import { describe, expect, it } from 'vitest'
import { jsonNestsDeeper } from './json-depth.js'

const bytes = (text: string) => Buffer.from(text)

describe('jsonNestsDeeper', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestsDeeper(bytes(`${'['.repeat(5)}${']'.repeat(5)}`), 4)).toBe(true)
    expect(jsonNestsDeeper(bytes(`${'['.repeat(4)}${']'.repeat(4)}`), 4)).toBe(false)
    expect(jsonNestsDeeper(bytes(`{"a":"[[[[[[[[[[","b":{"c":[1]}}`), 3)).toBe(false)
    expect(jsonNestsDeeper(bytes(`{"a":"\\"[[[[[[[[[[","b":[[[[1]]]]}`), 4)).toBe(true)
  })

  it('finds 10,000 levels quickly', () => {
    expect(jsonNestsDeeper(bytes(`{"model":"m","messages":${'['.repeat(10_000)}${']'.repeat(10_000)}}`), 64)).toBe(true)
  })
})
