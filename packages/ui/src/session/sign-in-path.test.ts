import { describe, expect, it } from 'vitest'
import { afterSignIn, homeOf, signInPath } from './sign-in-path'

describe('the way to sign-in and back', () => {
  it('comes back to the page the user was on, saying when their session ended', () => {
    expect(signInPath('/apps/new', true)).toBe('/sign-in?next=%2Fapps%2Fnew&expired=1')
    expect(signInPath('/apps?q=x')).toBe('/sign-in?next=%2Fapps%3Fq%3Dx')
    expect(signInPath('/')).toBe('/sign-in')
    expect(signInPath('/sign-in?next=%2Fllms')).toBe('/sign-in')
  })

  it('goes after sign-in only to a path of this UI, never to another site', () => {
    expect(afterSignIn('/apps/a1', 'admin')).toBe('/apps/a1')
    for (const next of [null, '', 'https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) expect(afterSignIn(next, 'admin')).toBe('/llms')
  })

  it('sends a portal user to the portal, an admin to the admin pages, when no page was asked for', () => {
    expect(afterSignIn(null, 'portal')).toBe('/portal')
    expect(afterSignIn('/portal/usage', 'portal')).toBe('/portal/usage')
    expect(homeOf('admin')).toBe('/llms')
  })
})
