import { BlockList, isIP } from 'node:net'
import {
  BasePlugin,
  PlugboardError,
  block,
  pass,
  type ConfigProvider,
  type HookContext,
  type JsonValue,
  type PluginContext,
  type PreAuthHook,
  type PreAuthRequest,
  type RequestHookResult,
} from '@plugboard/sdk'

export interface IpAllowListConfig {
  /** Addresses ("10.1.2.3") and CIDR ranges ("10.0.0.0/8", "fd00::/8") allowed through. */
  allow: string[]
  /** Use the first X-Forwarded-For address instead of the socket address (only behind a trusted proxy). */
  trustForwardedFor?: boolean
}

function parseConfig(config: JsonValue): IpAllowListConfig {
  const value = config as Partial<IpAllowListConfig> | null
  if (!value || !Array.isArray(value.allow) || !value.allow.every((entry) => typeof entry === 'string')) {
    throw new PlugboardError('CONFIG_INVALID', 'ip-allowlist needs config { "allow": ["10.0.0.0/8", "127.0.0.1", …] }')
  }
  return { allow: value.allow, trustForwardedFor: value.trustForwardedFor === true }
}

function buildBlockList(entries: string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : undefined
    if (!family) throw new PlugboardError('CONFIG_INVALID', `ip-allowlist: "${entry}" is not an IP address or CIDR range`)
    if (prefix === undefined) list.addAddress(address, family)
    else list.addSubnet(address, Number(prefix), family)
  }
  return list
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 clients on dual-stack sockets. */
function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip
}

/**
 * Pre-auth plugin that lets through only requests from allowed client
 * addresses and blocks the rest with 403 and an OpenAI-shaped JSON error.
 */
export class IpAllowList extends BasePlugin implements PreAuthHook, ConfigProvider {
  readonly manifest = {
    id: 'ip-allowlist',
    name: 'IP allow-list',
    version: '0.1.0',
    description: 'Blocks requests whose client IP is not on the allow-list',
    runtimes: ['gateway' as const, 'studio' as const],
  }
  #config: IpAllowListConfig = { allow: [] }
  #allowed = new BlockList()

  configSchema(): JsonValue {
    return {
      type: 'object',
      required: ['allow'],
      properties: {
        allow: { type: 'array', items: { type: 'string' }, description: 'IP addresses and CIDR ranges' },
        trustForwardedFor: { type: 'boolean', default: false },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#config = parseConfig(ctx.config)
    this.#allowed = buildBlockList(this.#config.allow)
  }

  preAuth({ request }: PreAuthRequest, ctx: HookContext): RequestHookResult {
    const forwarded = this.#config.trustForwardedFor ? request.headers['x-forwarded-for']?.split(',')[0]?.trim() : undefined
    const ip = normalize(forwarded || request.clientIp)
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4'
    if (isIP(ip) && this.#allowed.check(ip, family)) return pass()
    ctx.log.info('request blocked by IP allow-list', { ip })
    return block({
      status: 403,
      body: { error: { message: `client address ${ip || '(unknown)'} is not allowed`, type: 'permission_error', code: 'IP_NOT_ALLOWED' } },
    })
  }
}
