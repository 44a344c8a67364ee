import { Type } from 'typebox'
import type { ManagedPlugin } from '@plugboard/host'
import type { pluginv1 as pb } from '@plugboard/proto'
import type { Principal } from '../api/auth.js'
import { StudioError } from '../errors.js'
import { RPC_METHOD_PATTERN } from './plugin-ui-slots.js'

/** The most a plugin's admin or portal RPC takes and may answer. */
export const MAX_RPC_BYTES = 256 * 1024
const RPC_DEADLINE_MS = 10_000

/** An RPC method name in a route's path, as manifests declare them. */
export const RpcMethod = Type.String({ minLength: 1, maxLength: 100, pattern: RPC_METHOD_PATTERN, errorMessage: 'must be letters, digits, _ . and -' })

export interface PluginRpcCall {
  /** The installed name, for messages. */
  plugin: string
  /** Admin RPC (`ui.rpc`) or portal RPC (`portal.pages[].rpc`). */
  kind: 'handleUiRpc' | 'handlePortalRpc'
  method: string
  payload: unknown
  /** The signed-in caller, as the host verified it. */
  principal: Principal
  /** Portal RPC: the names of the caller's groups. */
  groups?: string[]
}

/**
 * Calls a method of a plugin's admin or portal RPC with the host-verified
 * user (and groups), after the route has checked the method is declared;
 * answers the method's result. PLUGIN_RPC_FAILED when the plugin does not
 * answer within 10 s, answers an error, more than {@link MAX_RPC_BYTES} or
 * something that is not JSON.
 */
export async function callPluginRpc(half: ManagedPlugin, call: PluginRpcCall): Promise<unknown> {
  const { plugin, method, principal } = call
  const user: pb.User = { id: principal.userId, email: principal.email, name: principal.name, roles: [principal.role] }
  const request: pb.UiRpcRequest = { method, payloadJson: Buffer.from(JSON.stringify(call.payload ?? null)), user, groups: call.groups ?? [] }
  let answer: pb.UiRpcResponse
  try {
    answer = await half.rpc(call.kind, request, { deadlineMs: RPC_DEADLINE_MS })
  } catch (error) {
    throw new StudioError('PLUGIN_RPC_FAILED', `plugin "${plugin}" did not answer ${method}: ${(error as Error).message}`, { cause: error })
  }
  if (answer.error) throw new StudioError('PLUGIN_RPC_FAILED', `plugin "${plugin}" failed in ${method}: [${answer.error.code}] ${answer.error.message}`)
  if (answer.resultJson.length > MAX_RPC_BYTES) throw new StudioError('PLUGIN_RPC_FAILED', `plugin "${plugin}" answered ${method} with ${answer.resultJson.length} bytes, more than ${MAX_RPC_BYTES}`)
  try {
    return answer.resultJson.length ? (JSON.parse(answer.resultJson.toString('utf8')) as unknown) : null
  } catch {
    throw new StudioError('PLUGIN_RPC_FAILED', `plugin "${plugin}" answered ${method} with invalid JSON`)
  }
}
