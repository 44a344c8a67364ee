import { lchown, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Server, type ClientDuplexStream, type ServerCredentials } from '@grpc/grpc-js'
import { BrokerTable, PLUGIN_CHANNEL_OPTIONS, goplugin } from '@plugboard/proto'
import { hostError } from './errors.js'
import type { HostLogger } from './logger.js'

/**
 * The host's side of go-plugin's broker (`plugin.GRPCBroker/StartStream`):
 * the host offers services to the plugin by id (the Service API) and learns
 * the addresses of services the plugin offers.
 */
export class HostBroker {
  readonly table = new BrokerTable()
  readonly #stream: ClientDuplexStream<goplugin.ConnInfo, goplugin.ConnInfo>
  readonly #servers: Server[] = []

  constructor(
    client: goplugin.GRPCBrokerClient,
    private readonly logger: HostLogger,
  ) {
    this.#stream = client.startStream()
    this.#stream.on('data', (info: goplugin.ConnInfo) => this.table.received(info))
    this.#stream.on('error', (error: Error) => logger.debug({ err: error.message }, 'broker stream ended'))
  }

  /**
   * Serves a gRPC service under `serviceId` and announces its address. The
   * listener is a Unix socket in `dir` (the plugin's private directory), or
   * loopback TCP when there is none (remote plugins), which must use TLS:
   * plaintext TCP is refused, since any local process could dial it.
   */
  async offer(serviceId: number, options: { dir?: string; credentials: ServerCredentials; register(server: Server): void }): Promise<void> {
    if (!options.dir && !options.credentials._isSecure()) {
      throw hostError('PLUGIN_CONNECT_FAILED', `broker service ${serviceId} would listen on plaintext TCP; offer it with TLS credentials or in a private directory`)
    }
    const server = new Server(PLUGIN_CHANNEL_OPTIONS)
    options.register(server)
    const address = options.dir ? `unix:${join(options.dir, `broker-${serviceId}.sock`)}` : '127.0.0.1:0'
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, options.credentials, (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
    )
    this.#servers.push(server)
    // A plugin running under its own uid needs write permission on the socket to connect: it gets the
    // socket, as it has the directory. lchown, not chmod: the plugin owns the directory and may have
    // swapped the socket for a symlink, which chmod (as root) would follow to any file.
    if (options.dir) {
      const owner = await stat(options.dir)
      await lchown(address.slice('unix:'.length), owner.uid, owner.gid)
    }
    const info = options.dir
      ? { serviceId, network: 'unix', address: address.slice('unix:'.length) }
      : { serviceId, network: 'tcp', address: `127.0.0.1:${port}` }
    this.#stream.write(info)
    this.logger.debug({ serviceId, address: info.address }, 'broker service offered')
  }

  /** Stops offered services and the stream; safe to call more than once. */
  close(): void {
    this.#stream.end()
    for (const server of this.#servers.splice(0)) server.forceShutdown()
  }
}
