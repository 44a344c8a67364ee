import { readFileSync } from 'node:fs'
import { status as GrpcStatus } from '@grpc/grpc-js'
import { describe, expect, it } from 'vitest'
import { SERVICE_API_ERRORS } from './service-api.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('Service API error codes', () => {
  it.each(Object.entries(SERVICE_API_ERRORS))('%s is documented in the README with its gRPC status and meaning', (code, { grpc, doc }) => {
    expect(readme).toContain(`| \`${code}\` | \`${GrpcStatus[grpc]}\` | ${doc} |`)
  })
})
