import type { Logger } from 'pino'
import type { Actor } from '../api/writes.js'
import type { BodyCheck } from '../api/validation.js'
import { StudioError } from '../errors.js'
import { HOOKED_OBJECT_TYPES, type HookedObjectType, type ObjectHookBinding, type ObjectHookEventName, type PluginDirectory } from './plugin-runtime.js'

/** What a secret field holds when an object reaches a hook: the hook learns that one is set, never its value. */
export const REDACTED = '[redacted]'

/** How many after-hook calls may wait, across all plugins; past it new ones are dropped and counted. */
const AFTER_QUEUE_LIMIT = 1000
/** After-hook calls in flight at once: a hanging plugin holds at most these until its deadline. */
const AFTER_CONCURRENCY = 4
/** A plugin's rejection message is shown to the user, bounded. */
const MAX_MESSAGE_CHARS = 500

type BeforeEvent = Extract<ObjectHookEventName, `before_${string}`>
type AfterEvent = Extract<ObjectHookEventName, `after_${string}`>
type JsonObject = Record<string, unknown>

/** Per plugin, since Studio started: for its status page. */
export interface ObjectHookCounters {
  /** Before-hook calls that failed on a fail-open binding, so the write went ahead without them. */
  failedOpen: number
  /** After-hook calls that failed (they never undo the write). */
  afterFailed: number
  /** After-hook calls dropped because the queue was full. */
  afterDropped: number
}

export interface BeforeHookInput {
  type: HookedObjectType
  /** The object's name in messages ("LLM"). */
  label: string
  event: BeforeEvent
  /** The create body, the update patch, or (delete) the current object. */
  object: JsonObject
  /** Update: the current object as the API presents it. */
  previous?: unknown
  actor: Actor
  /** The route's body schema, which a modification must fit; absent where a hook may not modify (delete). */
  check?: BodyCheck
  /** Top-level fields of `object` that hold secrets. */
  secrets?: readonly string[]
}

export interface AfterHookInput {
  type: HookedObjectType
  event: AfterEvent
  /** The object as the API presents it (after the write; the deleted one for delete). */
  object: unknown
  previous?: unknown
  actor: Actor
}

export function isHookedType(type: string): type is HookedObjectType {
  return (HOOKED_OBJECT_TYPES as readonly string[]).includes(type)
}

/**
 * Runs the object hooks plugins registered on Studio's CRUD writes, as the
 * plugin directory lists them (granted and enabled only). Before-hooks run
 * before the write's transaction, in priority order, each seeing the previous
 * one's modification; they may reject or modify, and a failure follows the
 * binding's policy. After-hooks run off the request path once the write
 * committed, through a bounded queue. Objects reach hooks without secrets,
 * and a modification cannot change one.
 */
export class ObjectHookRunner {
  readonly #counters = new Map<string, ObjectHookCounters>()
  readonly #queue: Array<() => Promise<void>> = []
  #running = 0
  #idle: Array<() => void> = []

  constructor(private readonly options: { directory: () => PluginDirectory | undefined; logger: Logger }) {}

  /** The bindings of one type and event, lower priority first, ties in the directory's order (as HookChain orders them). */
  bindings(type: HookedObjectType, event: ObjectHookEventName): ObjectHookBinding[] {
    const bindings = this.options.directory()?.objectHookBindings(type, event) ?? []
    return bindings
      .map((binding, index) => ({ binding, index }))
      .sort((a, b) => a.binding.priority - b.binding.priority || a.index - b.index)
      .map(({ binding }) => binding)
  }

  /**
   * Runs `bindings` (from `bindings()`; none: nothing to do) and answers the
   * object the write goes ahead with, secrets as given. Throws
   * OBJECT_HOOK_REJECTED, OBJECT_HOOK_INVALID_RESULT, or OBJECT_HOOK_FAILED
   * (a fail-closed binding failed).
   */
  async runBefore(bindings: ObjectHookBinding[], input: BeforeHookInput): Promise<JsonObject> {
    const secrets = input.secrets ?? []
    let object = input.object
    for (const binding of bindings) {
      let result
      try {
        result = (await binding.managed.rpc('objectHook', hookRequest(input.type, input.event, redact(object, secrets), input.previous, input.actor), { deadlineMs: binding.deadlineMs })).result
        if (!result) throw new Error('the plugin answered without a result')
      } catch (error) {
        this.#failedBefore(binding, input, error)
        continue
      }
      if (result.$case === 'reject') {
        const message = String(result.value.message || 'no reason given').slice(0, MAX_MESSAGE_CHARS)
        throw new StudioError('OBJECT_HOOK_REJECTED', `plugin "${binding.plugin}" rejected this ${input.label}: ${message}`, { plugin: binding.plugin })
      }
      if (result.$case === 'modify') {
        if (!input.check) {
          this.options.logger.warn({ plugin: binding.plugin, objectType: input.type, event: input.event }, 'object hook modification ignored: this event cannot change the object')
          continue
        }
        object = modified(binding.plugin, input, result.value.json, secrets)
      }
    }
    return object
  }

  /** Queues the after-hooks of a committed write; returns at once. Their failures are logged and counted, never thrown. */
  runAfter(input: AfterHookInput): void {
    for (const binding of this.bindings(input.type, input.event)) {
      if (this.#queue.length >= AFTER_QUEUE_LIMIT) {
        this.#count(binding.plugin).afterDropped++
        this.options.logger.warn({ plugin: binding.plugin, objectType: input.type, event: input.event }, 'object after-hook dropped: the queue is full')
        continue
      }
      this.#queue.push(async () => {
        try {
          await binding.managed.rpc('objectHook', hookRequest(input.type, input.event, input.object, input.previous, input.actor), { deadlineMs: binding.deadlineMs })
        } catch (error) {
          this.#count(binding.plugin).afterFailed++
          this.options.logger.warn({ plugin: binding.plugin, objectType: input.type, event: input.event, err: error }, 'object after-hook failed')
        }
      })
    }
    this.#drain()
  }

  /** This plugin's counters (zeros for one that never failed). */
  counters(plugin: string): ObjectHookCounters {
    return { ...this.#count(plugin) }
  }

  /** Resolves once no after-hook is queued or running (tests, and a shutdown that waits for them). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #drain(): void {
    while (this.#running < AFTER_CONCURRENCY && this.#queue.length > 0) {
      const job = this.#queue.shift()!
      this.#running++
      void job().finally(() => {
        this.#running--
        this.#drain()
        if (this.#running === 0 && this.#queue.length === 0) for (const wake of this.#idle.splice(0)) wake()
      })
    }
  }

  #failedBefore(binding: ObjectHookBinding, input: BeforeHookInput, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error)
    if (binding.failurePolicy === 'fail-closed') {
      throw new StudioError('OBJECT_HOOK_FAILED', `plugin "${binding.plugin}" failed in ${input.event} of this ${input.label} and is fail-closed, so nothing was written: ${reason}`, { plugin: binding.plugin, cause: error })
    }
    this.#count(binding.plugin).failedOpen++
    this.options.logger.warn({ plugin: binding.plugin, objectType: input.type, event: input.event, err: error }, 'object hook failed; fail-open, the write goes ahead without it')
  }

  #count(plugin: string): ObjectHookCounters {
    let counters = this.#counters.get(plugin)
    if (!counters) this.#counters.set(plugin, (counters = { failedOpen: 0, afterFailed: 0, afterDropped: 0 }))
    return counters
  }
}

/** The plugin's modification with the original's secrets put back (a hook can neither set, change nor remove one), checked against the route's schema. */
function modified(plugin: string, input: BeforeHookInput, json: Buffer, secrets: readonly string[]): JsonObject {
  const invalid = (message: string, details = [{ path: '/', message }]) =>
    new StudioError('OBJECT_HOOK_INVALID_RESULT', `plugin "${plugin}" modified this ${input.label} in ${input.event} into something the API refuses: ${message}`, { plugin, details })
  let value: unknown
  try {
    value = JSON.parse(json.toString('utf8'))
  } catch {
    throw invalid('the modification is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('the modification is not a JSON object')
  const object = value as JsonObject
  for (const field of secrets) {
    if (field in input.object) object[field] = input.object[field]
    else delete object[field]
  }
  const details = input.check!(object)
  if (details) throw invalid('it does not fit the schema', details)
  return object
}

function redact(object: JsonObject, secrets: readonly string[]): JsonObject {
  if (!secrets.some((field) => typeof object[field] === 'string')) return object
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, secrets.includes(key) && typeof value === 'string' ? REDACTED : value]))
}

/** The proto's User for an audit actor: `roles` holds the actor's type (user, token, plugin, system). */
function hookRequest(type: HookedObjectType, event: ObjectHookEventName, object: unknown, previous: unknown, actor: Actor) {
  return {
    objectType: type,
    event,
    objectJson: Buffer.from(JSON.stringify(object)),
    previousJson: previous === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(previous)),
    actor: { id: actor.id ?? '', email: actor.type === 'user' ? actor.name : '', name: actor.name, roles: [actor.type] },
  }
}
