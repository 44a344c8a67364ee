import type { Exchange, Stage } from './exchange.js'

/**
 * Runs stages in order as one: each gets the exchange and a `next` that runs
 * the ones after it (hono's compose). Built once per route at startup; per
 * request it costs one closure per stage reached.
 */
export function compose(stages: readonly Stage[]): (x: Exchange) => Promise<void> {
  return (x) => {
    let reached = -1
    const dispatch = (i: number): Promise<void> => {
      if (i <= reached) return Promise.reject(new Error(`pipeline stage ${i - 1} called next() twice`))
      reached = i
      const stage = stages[i]
      if (!stage) return Promise.resolve()
      try {
        return stage(x, () => dispatch(i + 1))
      } catch (error) {
        return Promise.reject(error)
      }
    }
    return dispatch(0)
  }
}
