import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import {
  BasePlugin,
  PlugboardError,
  type Asset,
  type HookContext,
  type JsonValue,
  type PortalRpcRequest,
  type PortalUi,
  type UiProvider,
  type UiRpcRequest,
} from '@plugboard/sdk'
import { parseFeedback, type Feedback } from './feedback.js'

/** The group whose members see the feedback page in the portal (a Studio group of that exact name). */
export const FEEDBACK_GROUP = 'Customers'
/** How many pieces of feedback one user may send a day (UTC): bounds what one account can store. */
export const DAILY_LIMIT_PER_USER = 10
const MAX_LISTED = 200
const DAY_MS = 24 * 60 * 60_000
const FEEDBACK_PREFIX = 'feedback/'
/** Keys sort newest first: the time counted down from the largest 13-digit millisecond value. */
const LAST_MS = 9_999_999_999_999

export type PortalFeedbackErrorCode = 'RPC_METHOD_UNKNOWN' | 'FEEDBACK_LIMIT_REACHED' | 'FEEDBACK_USER_MISSING'

/** The assets it serves at `/plugins/{name}/ui/…`: its components, and the UI SDK they import (no bare imports without a build). */
const ASSETS: Record<string, () => string> = {
  'feedback.js': () => fileURLToPath(new URL('../ui/feedback.js', import.meta.url)),
  'ui-sdk.js': () => createRequire(import.meta.url).resolve('@plugboard/ui-sdk'),
}

/**
 * Feedback from the portal: a page for members of the "Customers" group with
 * a form (a rating and a message), sent over portal RPC `submit` and stored
 * in the plugin's KV with the user Studio verified; a dashboard page lists it
 * over admin RPC `list`. Both pages are WebComponents of `ui/feedback.js`.
 */
export class PortalFeedback extends BasePlugin implements Pick<UiProvider, 'serveAsset' | 'handleUiRpc'>, PortalUi {
  readonly manifest = {
    id: 'portal-feedback',
    name: 'Feedback',
    version: '0.1.0',
    description: 'Lets portal users send feedback (a rating and a message) and lists it for admins',
    runtimes: ['studio' as const],
    permissions: { services: ['kv.readwrite' as const] },
    ui: {
      routes: [{ path: '/', title: 'Feedback', element: 'portal-feedback-list', module: 'feedback.js' }],
      sidebar: [{ title: 'Feedback', path: '/' }],
      assets: Object.keys(ASSETS),
      rpc: ['list'],
    },
    portal: {
      pages: [{ path: '/', title: 'Send feedback', element: 'portal-feedback-form', module: 'feedback.js', groups: [FEEDBACK_GROUP], rpc: ['submit'] }],
    },
  }

  constructor(private readonly now: () => number = Date.now) {
    super()
  }

  async serveAsset(path: string): Promise<Asset | undefined> {
    const file = ASSETS[path]
    if (!file) return undefined
    return { contentType: 'text/javascript', body: await readFile(file()) }
  }

  /** `submit` `{ rating, message }`: stores it with the host-verified user; answers `{ id, at }`. */
  async handlePortalRpc({ method, payload, user }: PortalRpcRequest, ctx: HookContext): Promise<JsonValue> {
    if (method !== 'submit') throw unknownMethod('submit', method)
    const input = parseFeedback(payload)
    if (!user?.id) throw new PlugboardError<PortalFeedbackErrorCode>('FEEDBACK_USER_MISSING', 'the host sent no user with the call: feedback is accepted only from signed-in users')
    const now = this.now()
    const today = new Date(now).toISOString().slice(0, 10)
    const sentToday = await ctx.services.kv.increment(`count/${user.id}/${today}`, 1, { ttlMs: DAY_MS, signal: ctx.signal })
    if (sentToday > DAILY_LIMIT_PER_USER) {
      throw new PlugboardError<PortalFeedbackErrorCode>('FEEDBACK_LIMIT_REACHED', `you sent ${DAILY_LIMIT_PER_USER} pieces of feedback today, the most a day: send more tomorrow`)
    }
    const at = new Date(now).toISOString()
    const id = `${String(LAST_MS - now).padStart(13, '0')}-${randomBytes(4).toString('hex')}`
    const feedback: Feedback = { id, at, rating: input.rating, message: input.message, user: { id: user.id, email: user.email, name: user.name } }
    await ctx.services.kv.set(`${FEEDBACK_PREFIX}${id}`, JSON.stringify(feedback), { signal: ctx.signal })
    return { id, at }
  }

  /** `list` `{ limit? }`: the newest feedback first, at most 200 (default 50). */
  async handleUiRpc({ method, payload }: UiRpcRequest, ctx: HookContext): Promise<JsonValue> {
    if (method !== 'list') throw unknownMethod('list', method)
    const asked = (payload as { limit?: unknown } | null)?.limit
    const limit = typeof asked === 'number' && Number.isInteger(asked) ? Math.min(Math.max(asked, 1), MAX_LISTED) : 50
    const stored = await ctx.services.kv.list(FEEDBACK_PREFIX, { limit, signal: ctx.signal })
    return { items: stored.map(({ value }) => JSON.parse(value.toString('utf8')) as Feedback) as unknown as JsonValue }
  }
}

function unknownMethod(answers: string, method: string): PlugboardError<PortalFeedbackErrorCode> {
  return new PlugboardError<PortalFeedbackErrorCode>('RPC_METHOD_UNKNOWN', `portal-feedback answers "${answers}" here, not "${method.slice(0, 100)}"`)
}
