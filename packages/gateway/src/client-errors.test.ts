import { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { answerClientError } from './client-errors.js'

/** A socket that records what is written to it. */
function socket(options: { busy?: boolean } = {}) {
  const written: Buffer[] = []
  const duplex = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      written.push(chunk as Buffer)
      callback()
    },
  })
  if (options.busy) Object.assign(duplex, { _httpMessage: { headersSent: true } })
  return { duplex, text: () => Buffer.concat(written).toString() }
}

const parserError = (code: string) => Object.assign(new Error(`parser said ${code}`), { code })

describe('answerClientError', () => {
  it.each([
    ['HPE_INVALID_METHOD', '400 Bad Request', 'BAD_REQUEST'],
    ['HPE_HEADER_OVERFLOW', '431 Request Header Fields Too Large', 'HEADERS_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', '408 Request Timeout', 'REQUEST_TIMEOUT'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', '413 Payload Too Large', 'BODY_TOO_LARGE'],
  ])('answers %s with %s and a JSON error body, closing the connection', (code, statusLine, errorCode) => {
    const { duplex, text } = socket()
    answerClientError(parserError(code), duplex)
    const [head, body] = text().split('\r\n\r\n')
    expect(head).toContain(`HTTP/1.1 ${statusLine}`)
    expect(head).toContain('connection: close')
    expect(JSON.parse(body!)).toMatchObject({ error: { code: errorCode, type: 'invalid_request_error', param: null } })
  })

  it('drops a connection whose response is already under way instead of writing a second one', () => {
    const { duplex, text } = socket({ busy: true })
    answerClientError(parserError('HPE_INVALID_METHOD'), duplex)
    expect(text()).toBe('')
    expect(duplex.destroyed).toBe(true)
  })

  it('drops a reset connection silently', () => {
    const { duplex, text } = socket()
    answerClientError(parserError('ECONNRESET'), duplex)
    expect(text()).toBe('')
    expect(duplex.destroyed).toBe(true)
  })
})
