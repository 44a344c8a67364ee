/** An amount in US dollars as the pages show it: `$1,234.5`, down to millionths (prices per token are small). */
export function formatUsd(value: number): string {
  return `$${value.toLocaleString('en-US', { maximumFractionDigits: 6 })}`
}
