import { once } from 'node:events'
import { createServer } from 'node:net'

/** A free loopback port: bind port 0, read it, release it. */
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}
