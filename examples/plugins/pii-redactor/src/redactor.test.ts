import { describe, expect, it } from 'vitest'
import { Redactor } from './redactor.js'

const redactor = new Redactor(['email', 'phone'])

describe('Redactor', () => {
  it.each([
    ['write to ada.lovelace+ai@mail.example.co.uk today', 'write to [EMAIL] today'],
    ['<bob@example.com>, carol_99@example.io.', '<[EMAIL]>, [EMAIL].'],
    ['call +1 555 123 4567 or +44 20 7946 0958', 'call [PHONE] or [PHONE]'],
    ['US: (555) 123-4567, 555-123-4567, 555.123.4567', 'US: [PHONE], [PHONE], [PHONE]'],
    ['+33 1 23 45 67 89 and +4915123456789', '[PHONE] and [PHONE]'],
  ])('redacts %j', (text, expected) => {
    expect(redactor.redact(text).text).toBe(expected)
  })

  it.each([
    'released on 2024-01-15 at 10:30',
    'version 1.2.3, IP 10.0.0.1, pi 3.14159265',
    'order #12345, +1 2 3, x+1234',
    'user@localhost and @handle',
  ])('leaves %j alone', (text) => {
    expect(redactor.redact(text)).toEqual({ text, count: 0 })
  })

  it('counts what it replaced and redacts only the kinds it was given', () => {
    expect(redactor.redact('a@b.io 555-123-4567').count).toBe(2)
    expect(new Redactor(['email']).redact('a@b.io 555-123-4567').text).toBe('[EMAIL] 555-123-4567')
  })

  describe('redactPrefix', () => {
    it('holds back a tail that could still become a match', () => {
      expect(redactor.redactPrefix('mail me at ada@exam')).toEqual({ text: 'mail me at ', held: 'ada@exam', count: 0 })
      expect(redactor.redactPrefix('call (555) 12')).toEqual({ text: 'call ', held: '(555) 12', count: 0 })
      expect(redactor.redactPrefix('call +1 ')).toEqual({ text: 'call ', held: '+1 ', count: 0 })
    })

    it('releases text once what follows rules a match out, redacting complete matches', () => {
      expect(redactor.redactPrefix('ada@example.com is mine ')).toEqual({ text: '[EMAIL] is mine ', held: '', count: 1 })
      expect(redactor.redactPrefix('plain words ')).toEqual({ text: 'plain words ', held: '', count: 0 })
    })

    it('holds a whole match that reaches into the tail', () => {
      // The email-like tail is "123-4567.x"; the phone number starts before it.
      expect(redactor.redactPrefix('call 555 123-4567.x')).toEqual({ text: 'call ', held: '555 123-4567.x', count: 0 })
    })

    it('holds no more than the longest possible match', () => {
      const long = 'x'.repeat(1000)
      expect(redactor.redactPrefix(long).held).toHaveLength(254)
      expect(redactor.redactPrefix('1 '.repeat(500)).held.length).toBeLessThanOrEqual(254)
    })
  })
})
