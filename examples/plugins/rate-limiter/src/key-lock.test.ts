import { describe, expect, it } from 'vitest'
import { KeyLock } from './key-lock.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('KeyLock', () => {
  it('runs tasks of one key one after another, in call order, and other keys alongside', async () => {
    const lock = new KeyLock()
    const log: string[] = []
    const task = (name: string) => async () => {
      log.push(`${name} start`)
      await tick()
      log.push(`${name} end`)
      return name
    }
    const results = await Promise.all([lock.run('a', task('a1')), lock.run('a', task('a2')), lock.run('b', task('b1'))])
    expect(results).toEqual(['a1', 'a2', 'b1'])
    expect(log.indexOf('a2 start')).toBeGreaterThan(log.indexOf('a1 end'))
    expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'))
  })

  it('keeps going after a task fails, passing the failure to its caller only', async () => {
    const lock = new KeyLock()
    const failed = lock.run('a', async () => Promise.reject(new Error('boom')))
    const next = lock.run('a', async () => 'ok')
    await expect(failed).rejects.toThrow('boom')
    await expect(next).resolves.toBe('ok')
  })

  it('forgets keys once their tasks are done', async () => {
    const lock = new KeyLock()
    await Promise.all([lock.run('a', async () => 1), lock.run('b', async () => 2)])
    await tick()
    expect(lock.size).toBe(0)
  })
})
