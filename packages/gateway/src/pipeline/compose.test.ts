import { describe, expect, it } from 'vitest'
import { compose } from './compose.js'
import type { Exchange, Stage } from './exchange.js'

const exchange = {} as Exchange

describe('compose', () => {
  it('runs stages in order, each around the ones after it', async () => {
    const seen: string[] = []
    const stage =
      (name: string): Stage =>
      async (_x, next) => {
        seen.push(`${name} in`)
        await next()
        seen.push(`${name} out`)
      }
    await compose([stage('a'), stage('b'), stage('c')])(exchange)
    expect(seen).toEqual(['a in', 'b in', 'c in', 'c out', 'b out', 'a out'])
  })

  it('stops where a stage answers without calling next', async () => {
    const seen: string[] = []
    await compose([async () => void seen.push('answered'), async () => void seen.push('never')])(exchange)
    expect(seen).toEqual(['answered'])
  })

  it('lets an earlier stage see, and settle after, the failure of a later one, also a synchronous throw', async () => {
    const settled: string[] = []
    const failing: Stage = () => {
      throw new Error('boom')
    }
    const outer: Stage = async (_x, next) => {
      try {
        await next()
      } finally {
        settled.push('settled')
      }
    }
    await expect(compose([outer, failing])(exchange)).rejects.toThrow('boom')
    expect(settled).toEqual(['settled'])
  })

  it('refuses a stage that calls next twice', async () => {
    const twice: Stage = async (_x, next) => {
      await next()
      await next()
    }
    await expect(compose([twice, async () => undefined])(exchange)).rejects.toThrow('called next() twice')
  })
})
