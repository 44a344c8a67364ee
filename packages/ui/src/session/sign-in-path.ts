import type { MeItem } from '@plugboard/studio/api-types'

/** The sign-in page's address that comes back to `next` afterwards; `expired` says the session ended mid-work. */
export function signInPath(next: string, expired = false): string {
  const query = new URLSearchParams()
  if (next && next !== '/' && !next.startsWith('/sign-in')) query.set('next', next)
  if (expired) query.set('expired', '1')
  const text = query.toString()
  return text ? `/sign-in?${text}` : '/sign-in'
}

/** Where a user starts: an admin in the admin shell, a portal user in the portal. */
export function homeOf(role: MeItem['role']): string {
  return role === 'admin' ? '/llms' : '/portal'
}

/** Where to go after signing in: `next` when it is a path of this UI (`//evil.example` is not one), else the user's home. */
export function afterSignIn(next: string | null, role: MeItem['role']): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : homeOf(role)
}
