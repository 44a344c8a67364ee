import { describe, expect, it } from 'vitest'
import { ChatUsers } from './chat-users.js'

describe('ChatUsers', () => {
  it('gives each completion its own request id and answers its user once', () => {
    const users = new ChatUsers()
    const [a, b] = [users.requestFor('ann'), users.requestFor('ann')]
    expect(a).not.toBe(b)
    expect(a).toMatch(/^chat-[\w-]+$/)
    expect([users.take(a), users.take(a), users.take(b), users.take('chat-unknown')]).toEqual(['ann', undefined, 'ann', undefined])
  })

  it('keeps at most `max` entries, forgetting the oldest first', () => {
    const users = new ChatUsers(2)
    const ids = ['u1', 'u2', 'u3'].map((user) => users.requestFor(user))
    expect(users.size).toBe(2)
    expect(ids.map((id) => users.take(id))).toEqual([undefined, 'u2', 'u3'])
  })
})
