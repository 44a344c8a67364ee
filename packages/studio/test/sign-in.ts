import type { TestStudio } from './helpers.js'

export interface SignedIn {
  /** An inject call with the session cookie (and, for writes, the CSRF token). */
  api: (method: string, url: string, body?: unknown) => Promise<{ status: number; json: any }>
}

/** Signs in by `POST /api/v1/auth/login`, as the browser does. */
export async function signIn(s: TestStudio, email: string, password: string): Promise<SignedIn> {
  const login = await s.studio.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  if (login.statusCode !== 200) throw new Error(`login of ${email} failed: ${login.statusCode} ${login.body}`)
  const session = login.cookies.find((c) => c.name === 'pb_session')!.value
  const { csrfToken } = login.json() as { csrfToken: string }
  return {
    api: async (method, url, body) => {
      const response = await s.studio.api.inject({
        method: method as 'GET',
        url,
        cookies: { pb_session: session },
        headers: { 'x-csrf-token': csrfToken, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      })
      return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : undefined }
    },
  }
}
