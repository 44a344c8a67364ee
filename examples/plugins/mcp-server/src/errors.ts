/**
 * Codes the tools raise; a tool error result's text starts with
 * the code ("CALCULATOR_DIVISION_BY_ZERO: …"), so clients can match on it:
 * - CALCULATOR_INVALID_EXPRESSION: not a number, operator or parenthesis, unbalanced, empty, too long or nested too deep.
 * - CALCULATOR_DIVISION_BY_ZERO: a divisor evaluated to zero.
 * - CALCULATOR_OUT_OF_RANGE: a number or result beyond what a double holds (±1.8e308).
 * - GATEWAY_TIME_INVALID_ZONE: `gateway_time` was given a time zone that is not an IANA name.
 */
export const MCP_SERVER_ERROR_CODES = ['CALCULATOR_INVALID_EXPRESSION', 'CALCULATOR_DIVISION_BY_ZERO', 'CALCULATOR_OUT_OF_RANGE', 'GATEWAY_TIME_INVALID_ZONE'] as const

export type McpServerErrorCode = (typeof MCP_SERVER_ERROR_CODES)[number]
