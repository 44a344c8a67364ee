/** A query's set fields as `?a=1&b=2` (empty when none): undefined and empty-string values are left out, so an untouched filter is no filter. */
export function queryString(query: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value))
  const text = params.toString()
  return text ? `?${text}` : ''
}
