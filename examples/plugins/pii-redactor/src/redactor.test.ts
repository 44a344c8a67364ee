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

  describe('on hostile input (200,000 characters), in linear time', () => {
    const SIZE = 200_000
    const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE)
    const REAL = ' ada@example.com +44 20 7946 0958'

    it.each([
      ['one long word', fill('a')],
      ['a word ending in @', `${fill('a')}@`],
      ['an @ before a long word', `a@${fill('b')}`],
      ['an @ before endless labels', `a@${fill('b.')}`],
      ['addresses without a top-level domain', fill('x@y.')],
      ['local parts of the longest size', fill(`${'a'.repeat(63)}@`)],
      ['only @', fill('@')],
      ['digits after +', `+${fill('1')}`],
      ['+ and too many digits', fill('+12345678901234567890a ')],
      ['short groups after +', fill('+1 ')],
      ['3-digit groups', fill('123-')],
      ['area codes', fill('(555) ')],
    ])('%s: answered in well under a second, and a real address after it is still found', (_, hostile) => {
      const started = performance.now()
      const { text } = redactor.redact(hostile + REAL)
      expect(performance.now() - started).toBeLessThan(500)
      expect(text.endsWith(' [EMAIL] [PHONE]')).toBe(true)
    })

    it.each([
      ['one long word', fill('a')],
      ['digits and spaces', fill('1 ')],
      ['address characters ending in a space', fill(`${'a'.repeat(200)} `)],
    ])('streams %s in 100-character pieces in well under a second', (_, hostile) => {
      const started = performance.now()
      let held = ''
      let sent = ''
      for (let i = 0; i < hostile.length; i += 100) {
        const step = redactor.redactPrefix(held + hostile.slice(i, i + 100))
        sent += step.text
        held = step.held
      }
      sent += redactor.redact(held).text
      expect(performance.now() - started).toBeLessThan(500)
      expect(sent).toBe(hostile)
    })
  })

  it('finds exactly what the former unbounded patterns found, on 20,000 random texts', () => {
    // The patterns before they were bounded, combined as the Redactor combined them.
    const email = String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`
    const phone = String.raw`(?<![\w+])(?:\+\d{1,3}(?:[-. ]?(?:\(\d{1,4}\)|\d{1,4})){2,5}|(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4})(?!\w)`
    const former = new RegExp(`(${email})|(${phone})`, 'g')
    const formerRedact = (text: string) => {
      let out = ''
      let at = 0
      for (const match of text.matchAll(former)) {
        const digits = match[0].replace(/\D/g, '').length
        if (match[2] !== undefined && (digits < 8 || digits > 15)) continue
        out += text.slice(at, match.index) + (match[1] !== undefined ? '[EMAIL]' : '[PHONE]')
        at = match.index + match[0].length
      }
      return out + text.slice(at)
    }
    let seed = 1
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647
    const alphabets = ['ab1.@-', 'a1 +().-', 'ab.@ co', 'x9@.+-_ ()', '1111111 +-.()', '123456789 ()+']
    for (let n = 0; n < 20_000; n++) {
      const alphabet = alphabets[n % alphabets.length]!
      let text = ''
      for (let i = 1 + Math.floor(random() * 30); i > 0; i--) text += alphabet[Math.floor(random() * alphabet.length)]
      expect(redactor.redact(text).text, JSON.stringify(text)).toBe(formerRedact(text))
    }
  })
})
