import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { Deadlines } from './deadlines.js'

describe('Deadlines', () => {
  const created: Deadlines<string>[] = []
  const track = (expired: string[]) => {
    const deadlines = new Deadlines<string>((key) => expired.push(key))
    created.push(deadlines)
    return deadlines
  }
  afterEach(() => created.splice(0).forEach((deadlines) => deadlines.clear()))

  it('expires each key after its own timeout, earliest first, across different timeouts', async () => {
    const expired: string[] = []
    const deadlines = track(expired)
    const started = performance.now()
    deadlines.add('slow', 400)
    deadlines.add('fast', 30)
    deadlines.add('fast-2', 30)
    deadlines.add('middle', 250)
    await sleep(150)
    expect(expired).toEqual(['fast', 'fast-2'])
    await sleep(400)
    expect(expired).toEqual(['fast', 'fast-2', 'middle', 'slow'])
    expect(performance.now() - started).toBeGreaterThanOrEqual(400)
  })

  it('never expires a key deleted in time, and still expires the ones behind it', async () => {
    const expired: string[] = []
    const deadlines = track(expired)
    deadlines.add('answered', 100)
    deadlines.add('late', 100)
    deadlines.delete('answered', 100)
    await sleep(200)
    expect(expired).toEqual(['late'])
    deadlines.add('later', 300)
    await sleep(150)
    expect(expired).toEqual(['late'])
    await sleep(300)
    expect(expired).toEqual(['late', 'later'])
  })

  it('does not expire a key early when an earlier timer was armed for a deleted key', async () => {
    const expired: string[] = []
    const deadlines = track(expired)
    deadlines.add('a', 20)
    deadlines.add('b', 200)
    deadlines.delete('a', 20)
    await sleep(60)
    expect(expired).toEqual([])
    deadlines.delete('b', 200)
  })

  it('stops everything on clear', async () => {
    const expired: string[] = []
    const deadlines = track(expired)
    deadlines.add('a', 10)
    deadlines.clear()
    await sleep(30)
    expect(expired).toEqual([])
  })
})
