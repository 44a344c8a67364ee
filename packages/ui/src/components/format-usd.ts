/**
 * An amount in US dollars as the pages show it: `$1,234.50`, cents at least,
 * down to millionths (prices per token and one request's cost are small); or,
 * for a chart's tick labels, with exactly `fractionDigits` decimals.
 */
export function formatUsd(value: number, fractionDigits?: number): string {
  const digits = fractionDigits === undefined ? { minimumFractionDigits: 2, maximumFractionDigits: 6 } : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }
  return `$${value.toLocaleString('en-US', digits)}`
}
