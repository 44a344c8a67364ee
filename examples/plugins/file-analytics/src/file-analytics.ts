import { appendFile, mkdir } from 'node:fs/promises'
import { dirname, isAbsolute } from 'node:path'
import {
  BasePlugin,
  PlugboardError,
  type ConfigProvider,
  type DataBatch,
  type DataCollector,
  type JsonValue,
  type PluginContext,
} from '@plugboard/sdk'
import { toLines } from './records.js'

export interface FileAnalyticsConfig {
  /** Absolute path of the JSON-lines file; its directory is created. */
  path: string
  /** Also write proxy-log request and response bodies (prompts and completions). Off by default. */
  includeBodies?: boolean
}

function parseConfig(config: JsonValue): Required<FileAnalyticsConfig> {
  const value = config as Partial<FileAnalyticsConfig> | null
  if (!value || typeof value.path !== 'string' || !isAbsolute(value.path)) {
    throw new PlugboardError('CONFIG_INVALID', 'file-analytics needs config { "path": "/var/log/plugboard/analytics.jsonl" } with an absolute path')
  }
  if (value.includeBodies !== undefined && typeof value.includeBodies !== 'boolean') {
    throw new PlugboardError('CONFIG_INVALID', 'file-analytics: "includeBodies" must be true or false')
  }
  return { path: value.path, includeBodies: value.includeBodies ?? false }
}

const ignore = (): void => {}

/**
 * Data-collection plugin that appends every proxy log, analytics record and
 * budget-usage record the host sends to a JSON-lines file, one line each.
 * Each batch is one append, in the order batches arrive; the file is opened
 * per append, so it can be rotated by renaming it.
 */
export class FileAnalytics extends BasePlugin implements DataCollector, ConfigProvider {
  readonly manifest = {
    id: 'file-analytics',
    name: 'File analytics',
    version: '0.1.0',
    description: 'Appends proxy logs, analytics and budget usage to a JSON-lines file',
    runtimes: ['gateway' as const, 'studio' as const],
  }
  #config: Required<FileAnalyticsConfig> = { path: '', includeBodies: false }
  /** The last append: the next waits for it, so batches never interleave. Never rejects. */
  #written: Promise<void> = Promise.resolve()

  configSchema(): JsonValue {
    return {
      type: 'object',
      required: ['path'],
      properties: {
        path: { type: 'string', description: 'Absolute path of the JSON-lines file' },
        includeBodies: { type: 'boolean', default: false, description: 'Also write request and response bodies (prompts and completions)' },
      },
    }
  }

  override async initialize(ctx: PluginContext): Promise<void> {
    this.#config = parseConfig(ctx.config)
    await mkdir(dirname(this.#config.path), { recursive: true })
  }

  /** Resolves once the batch is in the file; rejects (the host counts the batch as dropped) when it cannot be written. */
  collect(batch: DataBatch): Promise<void> {
    const lines = toLines(batch, this.#config)
    if (!lines) return Promise.resolve()
    const append = this.#written.then(() => appendFile(this.#config.path, lines, { mode: 0o600 }))
    this.#written = append.then(ignore, ignore)
    return append
  }

  /** Waits for appends in progress. */
  override async shutdown(): Promise<void> {
    await this.#written
  }
}
