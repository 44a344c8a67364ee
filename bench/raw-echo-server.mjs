// The floor for the host bench: a separate process that echoes length-prefixed
// messages (4-byte big-endian length, then the payload) on a Unix socket.
// Usage: node raw-echo-server.mjs /path/to/socket ; prints "ready" once listening.
import net from 'node:net'

const socketPath = process.argv[2]
if (!socketPath) {
  process.stderr.write('usage: node raw-echo-server.mjs <socket path>\n')
  process.exit(2)
}

const server = net.createServer((socket) => {
  let pending = null
  socket.on('data', (chunk) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk
    let offset = 0
    while (buf.length - offset >= 4) {
      const end = offset + 4 + buf.readUInt32BE(offset)
      if (buf.length < end) break
      offset = end
    }
    // Every complete message goes back as it came, in one write.
    if (offset > 0) socket.write(buf.subarray(0, offset))
    pending = offset < buf.length ? buf.subarray(offset) : null
  })
  socket.on('error', () => {})
})

server.listen(socketPath, () => process.stdout.write('ready\n'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
process.stdin.on('end', () => process.exit(0)) // the bench went away
process.stdin.resume()
