import {
  BasePlugin,
  isPlugboardError,
  PlugboardError,
  type Agent,
  type AgentChunk,
  type AgentRequest,
  type HookContext,
  type JsonValue,
  type PluginContext,
} from '@plugboard/sdk'
import { completionError, completionText } from './completion-text.js'
import { parseResearchConfig, RESEARCH_CONFIG_SCHEMA, type ResearchConfig } from './research-config.js'
import { bounded, MAX_QUESTION_CHARS, passagesOf, researchPrompt, searchQuery, searchWords, type Passage } from './research-prompt.js'

/** How long the tool may take: it runs before the answer, inside the reply's deadline. */
const TOOL_TIMEOUT_MS = 10_000
/** How much of a non-200 completion body is read for its error message. */
const MAX_ERROR_BODY_BYTES = 4_096

/** The id of each tool call the agent shows, one of each per reply. */
export const SEARCH_CALL_ID = 'search-1'
export const TOOL_CALL_ID = 'tool-1'

type Step = 'RESEARCH_DATASOURCE_FAILED' | 'RESEARCH_TOOL_FAILED' | 'RESEARCH_LLM_FAILED'

/** A failed Service API call as the step's error, keeping the host's code in the message. */
function stepFailed(code: Step, what: string, error: unknown): PlugboardError {
  const reason = isPlugboardError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)
  return new PlugboardError(code, `${what} failed (${reason})`, { cause: error })
}

/** The status and body of a tool's answer (`{ status, headers, body }` from tools.execute). */
function toolAnswer(answer: JsonValue): { status: number; body: JsonValue } {
  const fields = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? answer : {}
  return { status: typeof fields.status === 'number' ? fields.status : 200, body: fields.body ?? null }
}

async function readAll(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    size += chunk.length
    if (size >= max) break
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8')
}

/**
 * An agent that researches before it answers: it plans aloud (thinking),
 * searches its datasource (datasources.query) and calls its tool
 * (tools.execute) through the Service API, showing each as a tool call and
 * result, then streams an LLM's answer (llms.proxy) written from the
 * conversation the host stored and what it found. Whatever fails ends the
 * reply with an error chunk after what was already streamed. Every call
 * takes the host's signal, so a cancelled or timed-out reply stops its work.
 */
export class ResearchAgent extends BasePlugin implements Agent {
  readonly manifest = {
    id: 'research-agent',
    name: 'Research agent',
    version: '0.1.0',
    description: 'Searches a datasource and calls a tool, then streams an LLM answer grounded in what it found',
    runtimes: ['studio' as const],
    permissions: { services: ['datasources.query' as const, 'tools.execute' as const, 'llms.proxy' as const] },
  }

  #config: ResearchConfig | undefined

  configSchema(): JsonValue {
    return RESEARCH_CONFIG_SCHEMA
  }

  override initialize(ctx: PluginContext): void {
    this.#config = parseResearchConfig(ctx.config)
  }

  async *handleMessage({ message, history, resources }: AgentRequest, ctx: HookContext): AsyncIterable<AgentChunk> {
    const config = this.#config
    const llm = config?.llm ?? resources.find((resource) => resource.kind === 'llm')?.name
    if (!config || !llm) {
      yield {
        type: 'error',
        code: 'RESEARCH_NOT_CONFIGURED',
        message: !config ? 'the research agent has no datasource, tool and operation in its config yet: an admin sets them on its plugin page' : 'the research agent has no LLM: set "llm" in its config or bind it to one',
      }
      return
    }
    const question = message.content.slice(0, MAX_QUESTION_CHARS)
    const words = searchWords(question)
    const query = searchQuery(words, question)
    const tool = `${config.tool}.${config.operation}`
    yield { type: 'thinking', text: `Plan: search "${config.datasource}" for ${JSON.stringify(query)}, call ${tool}, then ask ${llm} with the ${history.length} earlier messages and what I find.\n` }

    const passages: Passage[] = yield* this.#search(config, query, ctx)
    yield { type: 'thinking', text: passages.length ? `Found ${passages.length} passage${passages.length === 1 ? '' : 's'}, best in ${passages[0]!.document}.\n` : 'The datasource has nothing on this; the answer will say so.\n' }

    const toolAnswer: string = yield* this.#callTool(config, words, ctx)
    yield { type: 'thinking', text: `${tool} answered ${toolAnswer.length} characters. Writing the answer.\n` }

    const messages = researchPrompt({ question, history, passages, toolAnswer, bounds: config })
    yield* this.#answer(llm, config.model, messages, ctx)
    yield { type: 'done' }
  }

  async *#search(config: ResearchConfig, query: string, ctx: HookContext): AsyncGenerator<AgentChunk, Passage[]> {
    yield { type: 'tool_call', id: SEARCH_CALL_ID, name: 'search_datasource', arguments: { datasource: config.datasource, query, limit: config.searchLimit } }
    let passages: Passage[]
    try {
      passages = passagesOf(await ctx.services.datasources.query(config.datasource, query, { limit: config.searchLimit, signal: ctx.signal }))
    } catch (error) {
      const failure = stepFailed('RESEARCH_DATASOURCE_FAILED', `searching datasource "${config.datasource}"`, error)
      yield { type: 'tool_result', id: SEARCH_CALL_ID, result: failure.message, isError: true }
      throw failure
    }
    const shown = passages.map((passage) => ({ document: passage.document, score: passage.score, content: bounded(passage.content, config.maxPassageChars) }))
    yield { type: 'tool_result', id: SEARCH_CALL_ID, result: { passages: shown } }
    return passages
  }

  async *#callTool(config: ResearchConfig, words: string[], ctx: HookContext): AsyncGenerator<AgentChunk, string> {
    const args: { [key: string]: JsonValue } = config.toolQueryParameter ? { parameters: { query: { [config.toolQueryParameter]: words.join(' ') } } } : {}
    yield { type: 'tool_call', id: TOOL_CALL_ID, name: `${config.tool}.${config.operation}`, arguments: args }
    const what = `calling ${config.tool}.${config.operation}`
    let answer: JsonValue
    try {
      answer = await ctx.services.tools.execute(config.tool, config.operation, { ...args, timeoutMs: TOOL_TIMEOUT_MS }, { signal: ctx.signal })
    } catch (error) {
      const failure = stepFailed('RESEARCH_TOOL_FAILED', what, error)
      yield { type: 'tool_result', id: TOOL_CALL_ID, result: failure.message, isError: true }
      throw failure
    }
    const { status, body } = toolAnswer(answer)
    const whole = typeof body === 'string' ? body : JSON.stringify(body)
    const text = bounded(whole, config.maxToolResultChars)
    const failed = status >= 400
    // The chat shows the body as the tool sent it when it fits, else the same cut text the prompt gets.
    yield { type: 'tool_result', id: TOOL_CALL_ID, result: { status, body: text === whole ? body : text }, isError: failed }
    if (failed) throw new PlugboardError('RESEARCH_TOOL_FAILED', `${what} failed: the tool answered ${status}`)
    return text
  }

  async *#answer(llm: string, model: string | undefined, messages: Array<{ role: string; content: string }>, ctx: HookContext): AsyncGenerator<AgentChunk> {
    const what = `asking LLM "${llm}"`
    let answer: Awaited<ReturnType<HookContext['services']['llms']['proxyCompletionStream']>>
    try {
      answer = await ctx.services.llms.proxyCompletionStream(llm, { ...(model && { model }), messages }, { signal: ctx.signal })
    } catch (error) {
      throw stepFailed('RESEARCH_LLM_FAILED', what, error)
    }
    if (answer.status !== 200) throw completionError(answer.status, await readAll(answer.body, MAX_ERROR_BODY_BYTES))
    try {
      for await (const text of completionText(answer.body)) yield { type: 'content', text }
    } catch (error) {
      if (isPlugboardError(error) && error.code.startsWith('RESEARCH_')) throw error
      throw stepFailed('RESEARCH_LLM_FAILED', what, error)
    }
  }
}
