import { PlugboardError } from '@plugboard/proto'

/**
 * Every code the admin API answers with, its HTTP status and one line of
 * meaning. A shipped code never changes. Gateway codes (INVALID_API_KEY,
 * BUDGET_EXCEEDED, …) keep their own table in @plugboard/gateway.
 */
export const STUDIO_ERRORS = {
  INVALID_JSON: { status: 422, doc: 'The request body is not valid JSON; `details[0].path` is `/`.' },
  VALIDATION_FAILED: { status: 422, doc: 'The body, query or path does not fit the schema; `details` lists each field at fault by JSON pointer (`/models/0`).' },
  UNSUPPORTED_CONTENT_TYPE: { status: 415, doc: 'A write body is not `application/json` (or, for uploads, not text).' },
  BODY_TOO_LARGE: { status: 413, doc: 'The request body exceeds the limit of its route; the message names the limit.' },
  NOT_FOUND: { status: 404, doc: 'No object has that id (or slug).' },
  ROUTE_NOT_FOUND: { status: 404, doc: 'No admin API route matches the method and path.' },
  ALREADY_EXISTS: { status: 409, doc: 'Another object already has that unique value (a slug, an email, a model); `details[0].path` names the field.' },
  REFERENCE_NOT_FOUND: { status: 422, doc: 'The body names an object that does not exist (an LLM, a user, an app); `details[0].path` names the field.' },
  IN_USE: { status: 409, doc: 'The object is still referenced and cannot be removed that way (a user who owns apps: give them another owner first); the message names what refers to it.' },
  LAST_ADMIN: { status: 409, doc: 'The write would leave no enabled admin (deleting, demoting or disabling the last one): make another user admin first.' },
  APP_KEY_INACTIVE: { status: 409, doc: 'The app key is revoked or expired, so it cannot be rotated: issue a new key instead.' },
  VERSION_MISMATCH: { status: 412, doc: "`If-Match` names a version that is not the object's current one: read it again, then retry." },
  INVALID_IF_MATCH: { status: 400, doc: '`If-Match` is not a version (`"3"`, `3` or `W/"3"`).' },
  UNAUTHENTICATED: { status: 401, doc: 'No valid session cookie or API token: sign in (`POST /api/v1/auth/login`) or send `Authorization: Bearer <token>`.' },
  SESSION_EXPIRED: { status: 401, doc: 'The session cookie is known but expired, or its user was disabled: sign in again.' },
  TOKEN_EXPIRED: { status: 401, doc: 'The personal API token is past its expiry.' },
  LOGIN_FAILED: { status: 401, doc: 'The email or password is wrong (the message does not say which).' },
  LOGIN_THROTTLED: { status: 429, doc: 'Too many failed sign-ins for this email or address; `Retry-After` says when to try again.' },
  FORBIDDEN: { status: 403, doc: "The caller's role may not use this route (a portal user on an admin route), or the object is not theirs." },
  CSRF_TOKEN_INVALID: { status: 403, doc: 'A write authenticated by the session cookie lacks the `X-CSRF-Token` header the login answered with, or it does not match.' },
  DATABASE_UNAVAILABLE: { status: 503, doc: 'The database cannot be reached; `Retry-After` says when to retry. The gateway keeps serving from its last state meanwhile.' },
  DATA_DIR_LOCKED: { status: 500, doc: 'Another Studio process holds the data directory (at start; the message names its pid).' },
  MASTER_KEY_INVALID: { status: 500, doc: 'The master key (PLUGBOARD_MASTER_KEY or the key file) is missing, unreadable, or does not decrypt the stored secrets.' },
  TOOL_SPEC_INVALID: { status: 422, doc: 'The OpenAPI document of a tool cannot be read: not JSON or YAML, not OpenAPI 3, or without operations.' },
  TOOL_OPERATION_NOT_FOUND: { status: 404, doc: "The tool's OpenAPI document has no operation with that id." },
  TOOL_CALL_FAILED: { status: 502, doc: "The tool's server could not be reached, timed out, or answered something too large." },
  OBJECT_HOOK_REJECTED: { status: 422, doc: "A plugin's before-hook refused the write; the message is the plugin's, `error.plugin` names it. Nothing was written." },
  OBJECT_HOOK_INVALID_RESULT: { status: 422, doc: "A plugin's before-hook modified the object into one that does not fit the route's schema (`details` lists the paths) or answered something that is not a JSON object; `error.plugin` names it. Nothing was written." },
  OBJECT_HOOK_FAILED: { status: 503, doc: "A fail-closed plugin's before-hook failed (an error, its deadline passed, or the plugin is not running); `error.plugin` names it. Nothing was written: retry once the plugin is healthy." },
  SCHEDULE_INVALID: { status: 422, doc: "A schedule in a plugin's manifest cannot run (a bad cron expression or time zone, a duplicate id); it is not stored, and the problem shows in the plugin's status." },
  SCHEDULE_RUN_IN_PROGRESS: { status: 409, doc: 'A run of the schedule is still running (runs of one schedule never overlap): wait for it to finish, then run it again; `details[0].message` is its run id.' },
  CONFIG_APPLY_INVALID: { status: 422, doc: 'A config file given to `config apply` is not a valid gateway config; the message says where.' },
  PLUGIN_INSTALL_FAILED: { status: 422, doc: "The plugin could not be started to read its manifest (missing path, not executable, failed handshake, exited); `details[0].message` starts with the host's code (PLUGIN_NOT_FOUND, PLUGIN_EXITED, …). Nothing was installed." },
  PLUGIN_SCOPES_UNKNOWN: { status: 422, doc: 'The plugin asks for Service API scopes that do not exist; it was not installed.' },
  PLUGIN_RELOAD_FAILED: { status: 422, doc: 'The new version of the plugin did not start (handshake, manifest); the running version keeps serving, and the error is in its status.' },
  PLUGIN_CONFIG_INVALID: { status: 422, doc: "The plugin's config does not match its JSON Schema; `details` lists each problem by JSON pointer (`/config/allow/0`). Nothing was saved or sent." },
  GRANT_NOT_REQUESTED: { status: 422, doc: "A scope, topic pattern or object type granted to a plugin is not requested by its manifest; `details[0].path` names it." },
  BINDING_INVALID: { status: 422, doc: 'A plugin bound to some apps or LLMs has hooks that run before the app is known (pre-auth, auth, endpoints): bind it globally, or list its hooks without them.' },
  RPC_METHOD_NOT_DECLARED: { status: 403, doc: "The plugin's manifest does not declare that RPC method (`ui.rpc` for admin RPC, a portal page's `rpc` for portal RPC); the host refuses it without calling the plugin." },
  PORTAL_GROUP_REQUIRED: { status: 403, doc: "The portal RPC method is declared only by portal pages restricted to groups the signed-in user is not a member of (the page's `groups`); the host refuses it without calling the plugin. An admin can add the user to one of those groups." },
  PLUGIN_NOT_RUNNING: { status: 503, doc: 'The plugin has no process running in Studio (disabled, or it failed to start: see its status).' },
  PLUGIN_RPC_FAILED: { status: 502, doc: "The plugin's RPC method failed, timed out (10 s) or answered something invalid; the message says which." },
  QUOTA_EXCEEDED: { status: 409, doc: "A per-user limit is reached (a portal user's apps or keys, a user's conversations, a conversation's messages); the message names the limit and what to remove first." },
  CHAT_REPLY_TOO_LONG: { status: 502, doc: "In a chat reply's `error` event: the reply grew past its size limit (200,000 characters) and was cut off; the call was cancelled, the part that fit is kept." },
  CHAT_REPLY_IN_PROGRESS: { status: 409, doc: 'A reply in that conversation is still streaming (one at a time per conversation): wait for its `done` event, then send again.' },
  CHAT_LLM_UNAVAILABLE: { status: 503, doc: 'The conversation is with an LLM, but this Studio runs no gateway to send it through (`plugboard studio` alone): run `plugboard up`, or chat with an agent.' },
  CHAT_REPLY_FAILED: { status: 502, doc: "In a chat reply's `error` event (the stream already answered 200): the agent's call failed (its process exited, it answered something invalid) or the LLM answered an error without a code of its own; the partial reply is kept." },
  CHAT_REPLY_TIMEOUT: { status: 504, doc: "In a chat reply's `error` event: the reply did not finish within its deadline (120 s) and was cancelled; the partial reply is kept." },
  CHAT_REPLY_INTERRUPTED: { status: 499, doc: 'Stored with a chat reply whose browser went away before it finished (never sent): the call to the agent or LLM was cancelled, the partial reply is kept.' },
  PLUGIN_ASSET_PATH_INVALID: { status: 400, doc: 'A plugin UI asset path (`/plugins/{name}/ui/…`) holds an empty, `.` or `..` segment, a backslash, or an encoded slash or backslash; it is refused without asking the plugin.' },
  PLUGIN_ASSET_NOT_FOUND: { status: 404, doc: 'No such plugin UI asset: the plugin is not installed, not enabled, provides no UI, or serves nothing at that path.' },
  PLUGIN_ASSET_FAILED: { status: 502, doc: 'The plugin failed to serve a UI asset: it did not answer (10 s), answered an error status, or a content type outside the allow-list (JavaScript, CSS, SVG, JSON, PNG, WOFF2).' },
  UI_NOT_BUILT: { status: 503, doc: 'The browser UI was asked for, but its build (`@plugboard/ui` `dist/`) is missing: run `npm run build` at the repository root, then start Studio again. The admin API works meanwhile.' },
  INTERNAL_ERROR: { status: 500, doc: 'An unexpected error; its request id is in the logs.' },
} as const satisfies Record<string, { status: number; doc: string }>

export type StudioErrorCode = keyof typeof STUDIO_ERRORS

/** One field at fault: a JSON pointer into the body (or `query/…`, `params/…`) and what is wrong. */
export interface ErrorDetail {
  path: string
  message: string
}

export interface StudioErrorOptions {
  cause?: unknown
  details?: ErrorDetail[]
  headers?: Record<string, string>
  /** The plugin whose object hook caused the error. */
  plugin?: string
}

/** An admin API error: a stable `code`, its status, and the fields at fault. */
export class StudioError extends PlugboardError<StudioErrorCode> {
  readonly status: number
  readonly details: ErrorDetail[] | undefined
  readonly headers: Record<string, string> | undefined
  readonly plugin: string | undefined

  constructor(code: StudioErrorCode, message: string, options: StudioErrorOptions = {}) {
    super(code, message, options)
    this.status = STUDIO_ERRORS[code].status
    this.details = options.details
    this.headers = options.headers
    this.plugin = options.plugin
  }
}

/** The body of every admin API error. */
export interface StudioErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[]; plugin?: string }
}

export function notFound(type: string, id: string): StudioError {
  return new StudioError('NOT_FOUND', `no ${type} "${id}"`)
}
