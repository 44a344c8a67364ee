// The rate limit dashboard's WebComponents, plain ES modules with no build
// step: served by the plugin at /plugins/{name}/ui/rate-limits.js and loaded
// by the dashboard under its CSP (no inline script or style: the chart is SVG
// built with DOM calls, coloured by presentation attributes).
import { contextOf } from './ui-sdk.js'

const SVG = 'http://www.w3.org/2000/svg'
const REFRESH_MS = 5000
const BAR_HEIGHT = 22
const GAP = 10
const LABEL_WIDTH = 140
const CHART_WIDTH = 560

function svg(name, attributes, text) {
  const node = document.createElementNS(SVG, name)
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value))
  if (text !== undefined) node.textContent = text
  return node
}

/** A horizontal bar per app: requests used this minute out of the per-minute limit. */
function barChart(counters, dark) {
  const { apps, limits } = counters
  const height = Math.max(1, apps.length) * (BAR_HEIGHT + GAP) + GAP
  const chart = svg('svg', { viewBox: `0 0 ${CHART_WIDTH} ${height}`, width: CHART_WIDTH, height, role: 'img', 'aria-label': `Requests used per app this minute, of ${limits.requestsPerMinute}` })
  const ink = dark ? '#e8ecf3' : '#1f2937'
  const span = CHART_WIDTH - LABEL_WIDTH - 70
  apps.forEach((app, index) => {
    const y = GAP + index * (BAR_HEIGHT + GAP)
    const share = Math.min(1, Math.max(0, app.requestsUsed / limits.requestsPerMinute))
    const row = svg('g', { 'data-app': app.appId })
    row.append(
      svg('text', { x: 0, y: y + BAR_HEIGHT * 0.7, fill: ink, 'font-size': 13 }, app.appId),
      svg('rect', { x: LABEL_WIDTH, y, width: span, height: BAR_HEIGHT, rx: 4, fill: dark ? '#334155' : '#e5e7eb' }),
      svg('rect', { class: 'used', x: LABEL_WIDTH, y, width: Math.max(2, share * span), height: BAR_HEIGHT, rx: 4, fill: share >= 1 ? '#dc2626' : share >= 0.8 ? '#d97706' : '#2563eb' }),
      svg('text', { class: 'value', x: LABEL_WIDTH + span + 8, y: y + BAR_HEIGHT * 0.7, fill: ink, 'font-size': 13 }, `${app.requestsUsed} / ${limits.requestsPerMinute}`),
    )
    chart.append(row)
  })
  return chart
}

/** The page: every app with requests this minute. */
class RateLimitChart extends HTMLElement {
  #timer
  #status = document.createElement('p')
  #chart = document.createElement('div')

  connectedCallback() {
    this.context = contextOf(this)
    const heading = document.createElement('h1')
    heading.textContent = this.heading()
    this.replaceChildren(heading, this.#status, this.#chart)
    this.#status.textContent = 'Reading the counters…'
    void this.refresh()
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS)
  }

  disconnectedCallback() {
    clearInterval(this.#timer)
  }

  heading() {
    return 'Rate limits'
  }

  payload() {
    return {}
  }

  async refresh() {
    try {
      const counters = await this.context.rpc('counters', this.payload())
      const tokens = counters.limits.tokensPerMinute ? `, ${counters.limits.tokensPerMinute} tokens` : ''
      this.#status.textContent = counters.apps.length
        ? `Requests used this minute (limit ${counters.limits.requestsPerMinute} requests${tokens} per app), at ${new Date(counters.at).toLocaleTimeString()}.`
        : 'No app has used its allowance this minute.'
      this.#chart.replaceChildren(barChart(counters, this.context.theme === 'dark'))
    } catch (error) {
      this.#status.textContent = `The counters could not be read: [${error.code ?? 'ERROR'}] ${error.message}`
    }
  }
}

/** The tab on an app's page: that app's bar. */
class AppRateLimit extends RateLimitChart {
  heading() {
    return 'Rate limit this minute'
  }

  payload() {
    return { appId: this.context.target?.id }
  }
}

customElements.define('rate-limit-dashboard-chart', RateLimitChart)
customElements.define('rate-limit-dashboard-app', AppRateLimit)
