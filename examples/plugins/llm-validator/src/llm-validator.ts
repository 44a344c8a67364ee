import {
  BasePlugin,
  PlugboardError,
  type ConfigProvider,
  type JsonValue,
  type ObjectHookEvent,
  type ObjectHookResult,
  type ObjectHooks,
  type PluginContext,
} from '@plugboard/sdk'

export interface LlmValidatorConfig {
  /** Description given to an LLM that has none; `{vendor}`, `{name}` and `{slug}` are filled in. */
  defaultDescription?: string
}

export const DEFAULT_DESCRIPTION = '{vendor} LLM {name}'
/** Studio refuses longer descriptions; a filled-in template is cut to fit. */
const MAX_DESCRIPTION_CHARS = 2000
const MAX_TEMPLATE_CHARS = 500
/** No real base URL is longer; a longer one is refused before it is parsed. */
const MAX_URL_CHARS = 2048

type JsonObject = { [key: string]: JsonValue }

const isObject = (value: JsonValue | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined)

function parseConfig(config: JsonValue): Required<LlmValidatorConfig> {
  if (config === null) return { defaultDescription: DEFAULT_DESCRIPTION }
  if (!isObject(config)) throw new PlugboardError('CONFIG_INVALID', 'llm-validator config must be an object like { "defaultDescription": "{vendor} LLM {name}" }')
  const template = config.defaultDescription ?? DEFAULT_DESCRIPTION
  if (typeof template !== 'string' || template.length > MAX_TEMPLATE_CHARS) {
    throw new PlugboardError('CONFIG_INVALID', `llm-validator: defaultDescription must be a string of at most ${MAX_TEMPLATE_CHARS} characters`)
  }
  return { defaultDescription: template }
}

/** Host names that never leave the machine: a local model may be served over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  // WHATWG URL parsing has already normalized 127.1 and 0x7f.0.0.1 to 127.0.0.1, and [0::1] to [::1].
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** Why a base URL is refused, or undefined when it is fine. */
export function baseUrlProblem(baseUrl: string): string | undefined {
  if (baseUrl.length > MAX_URL_CHARS) return `baseUrl is ${baseUrl.length} characters long, more than ${MAX_URL_CHARS}`
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return `baseUrl ${JSON.stringify(baseUrl.slice(0, 100))} is not a URL`
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return undefined
    return `baseUrl ${url.origin} is not https: the vendor key and every prompt would cross the network in clear text; use https, or a loopback host (localhost, 127.0.0.0/8, ::1) for a local model`
  }
  return `baseUrl must be an https URL, not ${url.protocol.slice(0, 20)}`
}

function fill(template: string, facts: Record<'vendor' | 'name' | 'slug', string>): string {
  return template.replace(/\{(vendor|name|slug)\}/g, (_, key: keyof typeof facts) => facts[key]).slice(0, MAX_DESCRIPTION_CHARS)
}

/**
 * Studio object hooks on LLMs (`llm:before_create`, `llm:before_update`):
 * refuses an LLM whose base URL is not https, unless its host is loopback
 * (a local model), and gives an LLM without a description one from a
 * template. An update's hook sees the patch as `object` and the LLM as it is
 * as `previous`; only what the patch sets is checked, and the patch gains a
 * description when the LLM would be left without one.
 */
export class LlmValidator extends BasePlugin implements ObjectHooks, ConfigProvider {
  readonly manifest = {
    id: 'llm-validator',
    name: 'LLM validator',
    version: '0.1.0',
    description: 'Refuses LLMs whose base URL is not https (loopback excepted) and fills a default description',
    runtimes: ['studio' as const],
  }
  #template = DEFAULT_DESCRIPTION

  configSchema(): JsonValue {
    return {
      type: 'object',
      additionalProperties: false,
      properties: {
        defaultDescription: {
          type: 'string',
          maxLength: MAX_TEMPLATE_CHARS,
          default: DEFAULT_DESCRIPTION,
          description: 'Description of an LLM created or left without one; {vendor}, {name} and {slug} are filled in',
        },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#template = parseConfig(ctx.config).defaultDescription
  }

  objectHooks(): string[] {
    return ['llm:before_create', 'llm:before_update']
  }

  onObjectEvent({ event, object, previous }: ObjectHookEvent): ObjectHookResult {
    if (!isObject(object)) return { action: 'reject', message: 'the LLM is not a JSON object' }
    const current = event === 'before_update' && isObject(previous) ? previous : {}

    // On update, a patch without baseUrl keeps the one already checked; '' means the vendor's default.
    const baseUrl = object.baseUrl
    if (baseUrl !== undefined && baseUrl !== '') {
      if (typeof baseUrl !== 'string') return { action: 'reject', message: 'baseUrl must be a string' }
      const problem = baseUrlProblem(baseUrl)
      if (problem) return { action: 'reject', message: problem }
    }

    const description = 'description' in object ? text(object.description) : text(current.description)
    if (description?.trim()) return { action: 'pass' }
    const slug = text(object.slug) ?? text(current.slug) ?? ''
    const facts = { vendor: text(object.vendor) ?? text(current.vendor) ?? '', name: text(object.name) ?? text(current.name) ?? slug, slug }
    return { action: 'modify', object: { ...object, description: fill(this.#template, facts) } }
  }
}
