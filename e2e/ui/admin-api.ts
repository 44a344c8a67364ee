/** Calls the admin API with a path under `/api/v1`; resolves to the parsed answer, throws on a failed step. */
export type AdminApi = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>

/** Signs in by the login endpoint and calls the admin API with that session cookie and CSRF token, as the UI does. */
export async function adminApi(url: string, credentials: { email: string; password: string }): Promise<AdminApi> {
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) })
  const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
  const { csrfToken } = (await login.json()) as { csrfToken: string }
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}/api/v1${path}`, { method, headers: { cookie, 'x-csrf-token': csrfToken, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) })
    const answer = await response.text()
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${answer}`)
    return (answer ? JSON.parse(answer) : undefined) as T
  }
}
