import type { JsonValue } from '@plugboard/sdk'

/** What an admin sets for the research agent (its config form is generated from {@link RESEARCH_CONFIG_SCHEMA}). */
export interface ResearchConfig {
  /** The datasource searched for each question (slug or id). */
  datasource: string
  /** How many passages the search answers at most. */
  searchLimit: number
  /** The tool called for each question (slug or id) and its operation. */
  tool: string
  operation: string
  /** The operation's query parameter that carries the search words; absent: the operation is called without parameters. */
  toolQueryParameter?: string
  /** The LLM that writes the answer (slug); absent: the first LLM of the agent's binding. */
  llm?: string
  /** A model of that LLM; absent: its default model. */
  model?: string
  /** Bounds on what goes into the prompt: each passage, the tool's answer, the earlier conversation. */
  maxPassageChars: number
  maxToolResultChars: number
  maxHistoryChars: number
}

export const RESEARCH_CONFIG_DEFAULTS = { searchLimit: 3, maxPassageChars: 1_500, maxToolResultChars: 4_000, maxHistoryChars: 24_000 } as const

const name = (description: string) => ({ type: 'string', minLength: 1, maxLength: 128, description })
const bound = (minimum: number, maximum: number, fallback: number, description: string) => ({ type: 'integer', minimum, maximum, default: fallback, description })

/** The JSON Schema of {@link ResearchConfig}; the host checks the config against it before the plugin sees it. */
export const RESEARCH_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['datasource', 'tool', 'operation'],
  properties: {
    datasource: name('Datasource searched for each question (slug)'),
    searchLimit: bound(1, 10, RESEARCH_CONFIG_DEFAULTS.searchLimit, 'Passages the search answers at most'),
    tool: name('Tool called for each question (slug)'),
    operation: name("The tool's operation id"),
    toolQueryParameter: name('Query parameter of the operation that gets the search words (none: no parameters)'),
    llm: name("LLM that writes the answer (slug); empty: the first LLM of the agent's binding"),
    model: name('Model of that LLM; empty: its default model'),
    maxPassageChars: bound(100, 20_000, RESEARCH_CONFIG_DEFAULTS.maxPassageChars, 'Characters of each passage put into the prompt'),
    maxToolResultChars: bound(100, 50_000, RESEARCH_CONFIG_DEFAULTS.maxToolResultChars, "Characters of the tool's answer put into the prompt"),
    maxHistoryChars: bound(1_000, 200_000, RESEARCH_CONFIG_DEFAULTS.maxHistoryChars, 'Characters of the earlier conversation put into the prompt (the latest messages that fit)'),
  },
} as const satisfies JsonValue

type JsonObject = { [key: string]: JsonValue }
const isObject = (value: JsonValue | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: JsonValue | undefined) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined)
const integer = (value: JsonValue | undefined, fallback: number) => (typeof value === 'number' && Number.isInteger(value) ? value : fallback)

/**
 * The config with its defaults, or undefined while it names no datasource,
 * tool and operation (a plugin installed but not configured yet: the agent
 * says so in the chat instead of refusing to start). The host has checked the
 * config against the schema, so types and bounds hold.
 */
export function parseResearchConfig(config: JsonValue | undefined): ResearchConfig | undefined {
  if (!isObject(config)) return undefined
  const datasource = text(config.datasource)
  const tool = text(config.tool)
  const operation = text(config.operation)
  if (!datasource || !tool || !operation) return undefined
  const toolQueryParameter = text(config.toolQueryParameter)
  const llm = text(config.llm)
  const model = text(config.model)
  return {
    datasource,
    tool,
    operation,
    ...(toolQueryParameter && { toolQueryParameter }),
    ...(llm && { llm }),
    ...(model && { model }),
    searchLimit: integer(config.searchLimit, RESEARCH_CONFIG_DEFAULTS.searchLimit),
    maxPassageChars: integer(config.maxPassageChars, RESEARCH_CONFIG_DEFAULTS.maxPassageChars),
    maxToolResultChars: integer(config.maxToolResultChars, RESEARCH_CONFIG_DEFAULTS.maxToolResultChars),
    maxHistoryChars: integer(config.maxHistoryChars, RESEARCH_CONFIG_DEFAULTS.maxHistoryChars),
  }
}
