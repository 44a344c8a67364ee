// Latency measurement shared by the benches: percentiles, and back-to-back timed calls.
import { performance } from 'node:perf_hooks'

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Sequential latency samples (ms) of one call path, gathered over one or more rounds. */
export class Sequential {
  samples = []
  elapsedMs = 0
  constructor(fn) {
    this.fn = fn
  }
  async warmUp(calls) {
    for (let i = 0; i < calls; i++) await this.fn()
  }
  /** `calls` back-to-back awaited calls, each timed. */
  async measure(calls) {
    const { fn, samples } = this
    const start = performance.now()
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now()
      await fn()
      samples.push(performance.now() - t0)
    }
    this.elapsedMs += performance.now() - start
  }
  /** p50/p99 in ms and calls/s (calls over the time spent measuring). */
  result() {
    const sorted = Float64Array.from(this.samples).sort()
    return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), perSec: sorted.length / (this.elapsedMs / 1000), samples: sorted.length }
  }
}
