import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { HookObserver } from '@plugboard/host'

/** The gateway's Prometheus metrics, in one registry served at /metrics. */
export class GatewayMetrics {
  readonly registry = new Registry()
  readonly requests = new Counter({
    name: 'plugboard_gateway_requests_total',
    help: 'Requests answered, by route, status, LLM and app',
    labelNames: ['route', 'status', 'llm', 'app'] as const,
    registers: [this.registry],
  })
  readonly latency = new Histogram({
    name: 'plugboard_gateway_request_duration_seconds',
    help: 'Time from request to the last byte of the response, by route, LLM and app',
    labelNames: ['route', 'llm', 'app'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  })
  readonly hookLatency = new Histogram({
    name: 'plugboard_plugin_hook_duration_seconds',
    help: 'Hook call latency, by plugin and hook',
    labelNames: ['plugin', 'hook'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [this.registry],
  })
  readonly hookFailures = new Counter({
    name: 'plugboard_plugin_hook_failures_total',
    help: 'Failed, skipped (fail-open) or short-circuited (breaker open) hook calls, by plugin, hook, outcome and code',
    labelNames: ['plugin', 'hook', 'outcome', 'code'] as const,
    registers: [this.registry],
  })
  readonly breakerOpen = new Gauge({
    name: 'plugboard_plugin_breaker_open',
    help: '1 while the circuit breaker of a plugin binding is open (or half-open), else 0',
    labelNames: ['plugin', 'hook'] as const,
    registers: [this.registry],
  })
  readonly collectorDropped = new Counter({
    name: 'plugboard_collector_dropped_total',
    help: 'Data-collection records that did not reach a plugin, by plugin, kind and reason (queue_full, buffer_full, plugin_failed, rejected, plugin_removed, shutdown)',
    labelNames: ['plugin', 'kind', 'reason'] as const,
    registers: [this.registry],
  })
  readonly collectorDelivered = new Counter({
    name: 'plugboard_collector_delivered_total',
    help: 'Data-collection records a plugin accepted, by plugin and kind',
    labelNames: ['plugin', 'kind'] as const,
    registers: [this.registry],
  })
  readonly collectorBuffered = new Gauge({
    name: 'plugboard_collector_buffered',
    help: 'Data-collection records waiting for one plugin (it is restarting, or slower than the traffic)',
    labelNames: ['plugin'] as const,
    registers: [this.registry],
  })
  readonly streamCompleteSkipped = new Counter({
    name: 'plugboard_stream_complete_skipped_total',
    help: 'Stream-complete calls not made because too many were in flight, by plugin',
    labelNames: ['plugin'] as const,
    registers: [this.registry],
  })
  readonly requestLogFailures = new Counter({
    name: 'plugboard_request_log_failures_total',
    help: 'Request records whose requestLog callback threw (the record is lost; the request was not affected)',
    registers: [this.registry],
  })
  readonly queueDepth = new Gauge({
    name: 'plugboard_collector_queue_depth',
    help: 'Data-collection records waiting to be batched',
    registers: [this.registry],
  })

  readonly #requestSeries = new Map<string, { count: ReturnType<Counter['labels']>; latency: ReturnType<Histogram['labels']> }>()

  /** Counts one answered request and its duration; label children are cached, this runs per request. */
  requestAnswered(route: string, status: number, llm: string, app: string, seconds: number): void {
    const key = `${route}\0${status}\0${llm}\0${app}`
    let series = this.#requestSeries.get(key)
    if (!series) {
      series = { count: this.requests.labels(route, String(status), llm, app), latency: this.latency.labels(route, llm, app) }
      this.#requestSeries.set(key, series)
    }
    series.count.inc()
    series.latency.observe(seconds)
  }

  /** Per plugin and hook: the latency child and whether the breaker was last seen open. */
  readonly #hookSeries = new Map<string, { latency: ReturnType<Histogram['labels']>; open: boolean }>()

  /** Feeds hook metrics from chains; on the hot path, so label lookups are cached. */
  readonly hookObserver: HookObserver = {
    hookCalled: ({ plugin, hook, durationMs, outcome, errorCode }) => {
      const key = `${plugin}\0${hook}`
      let series = this.#hookSeries.get(key)
      if (!series) {
        series = { latency: this.hookLatency.labels(plugin, hook), open: false }
        this.#hookSeries.set(key, series)
        this.breakerOpen.set({ plugin, hook }, 0)
      }
      series.latency.observe(durationMs / 1000)
      if (outcome !== 'ok') this.hookFailures.inc({ plugin, hook, outcome, code: errorCode ?? '' })
      const open = outcome === 'circuit_open'
      if (open !== series.open) {
        series.open = open
        this.breakerOpen.set({ plugin, hook }, open ? 1 : 0)
      }
    },
  }
}
