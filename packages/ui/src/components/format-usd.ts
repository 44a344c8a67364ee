/** An amount in US dollars as the pages show it: `$1,234.50`, cents at least, down to millionths (prices per token and one request's cost are small). */
export function formatUsd(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`
}
