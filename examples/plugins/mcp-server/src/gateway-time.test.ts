import { describe, expect, it } from 'vitest'
import { describeTime } from './gateway-time.js'

const noon = new Date('2025-05-04T12:30:00.000Z')

describe('describeTime', () => {
  it('gives UTC by default, with a +00:00 offset', () => {
    expect(describeTime(noon)).toEqual({ iso: '2025-05-04T12:30:00.000Z', unixMs: 1746361800000, timeZone: 'UTC', local: '2025-05-04T12:30:00+00:00' })
  })

  it.each([
    ['Europe/Paris', '2025-05-04T14:30:00+02:00'],
    ['Asia/Kolkata', '2025-05-04T18:00:00+05:30'],
    ['America/New_York', '2025-05-04T08:30:00-04:00'],
    ['Pacific/Kiritimati', '2025-05-05T02:30:00+14:00'],
  ])('gives the wall-clock time and offset in %s', (timeZone, local) => {
    expect(describeTime(noon, timeZone)).toMatchObject({ timeZone, local })
  })

  it('refuses an unknown zone with GATEWAY_TIME_INVALID_ZONE', () => {
    expect(() => describeTime(noon, 'Mars/Olympus')).toThrow(expect.objectContaining({ code: 'GATEWAY_TIME_INVALID_ZONE' }))
  })
})
