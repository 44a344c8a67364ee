import type { DataBatch, ProxyLog } from '@plugboard/sdk'

/**
 * The JSON lines for one batch, each ending in "\n": one per record, tagged
 * with its `type`. Proxy-log bodies are left out unless `includeBodies`, and
 * then written as UTF-8 text (bytes that are not UTF-8 become U+FFFD).
 */
export function toLines(batch: DataBatch, options: { includeBodies: boolean }): string {
  const proxyLog = ({ requestBody, responseBody, ...log }: ProxyLog) =>
    options.includeBodies ? { ...log, requestBody: requestBody.toString('utf8'), responseBody: responseBody.toString('utf8') } : log
  const records = [
    ...batch.analytics.map((record) => ({ type: 'analytics', ...record })),
    ...batch.proxyLogs.map((log) => ({ type: 'proxy_log', ...proxyLog(log) })),
    ...batch.budgetUsage.map((usage) => ({ type: 'budget_usage', ...usage })),
  ]
  return records.map((record) => `${JSON.stringify(record)}\n`).join('')
}
