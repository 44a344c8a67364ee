/** The sign-in page's address that comes back to `next` afterwards; `expired` says the session ended mid-work. */
export function signInPath(next: string, expired = false): string {
  const query = new URLSearchParams()
  if (next && next !== '/' && !next.startsWith('/sign-in')) query.set('next', next)
  if (expired) query.set('expired', '1')
  const text = query.toString()
  return text ? `/sign-in?${text}` : '/sign-in'
}

/** Where to go after signing in: a path of this UI only (`//evil.example` is not one). */
export function afterSignIn(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/llms'
}
