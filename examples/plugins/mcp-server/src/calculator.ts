import { PlugboardError } from '@plugboard/sdk'
import type { McpServerErrorCode } from './errors.js'

/** Longest expression `evaluateExpression` accepts, in characters. */
export const MAX_EXPRESSION_LENGTH = 1000

/** Deepest nesting of parentheses and signs, so a hostile input cannot exhaust the stack. */
const MAX_DEPTH = 100

type Token = { kind: 'number'; value: number; at: number } | { kind: 'op'; value: '+' | '-' | '*' | '/' | '(' | ')'; at: number }

const invalid = (message: string) =>
  new PlugboardError<McpServerErrorCode>('CALCULATOR_INVALID_EXPRESSION', `${message}; use numbers, + - * / and parentheses, e.g. "2*(3+4)"`)

function tokenize(expression: string): Token[] {
  const tokens: Token[] = []
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([-+*/()]))/y
  let at = 0
  while (at < expression.length) {
    pattern.lastIndex = at
    const match = pattern.exec(expression)
    if (!match) {
      if (expression.slice(at).trim() === '') break
      const offending = expression.slice(at).trimStart()
      throw invalid(`unexpected "${offending[0]}" at position ${expression.length - offending.length + 1}`)
    }
    const start = pattern.lastIndex - match[0].trimStart().length + 1
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]), at: start })
    else tokens.push({ kind: 'op', value: match[2] as '+' | '-' | '*' | '/' | '(' | ')', at: start })
    at = pattern.lastIndex
  }
  return tokens
}

/**
 * Evaluates an arithmetic expression: numbers (`3`, `2.5`, `.5`, `1e3`),
 * `+ - * /` with the usual precedence, unary signs and parentheses. A
 * recursive-descent parser, never `eval`: anything else is refused.
 *
 * @throws PlugboardError `CALCULATOR_INVALID_EXPRESSION` (syntax, length, nesting),
 *   `CALCULATOR_DIVISION_BY_ZERO`, or `CALCULATOR_OUT_OF_RANGE` (a result beyond ±1.8e308).
 * @example
 * evaluateExpression('2*(3+4)') // 14
 */
export function evaluateExpression(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) throw invalid(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`)
  const tokens = tokenize(expression)
  let next = 0
  const peek = () => tokens[next]
  const isOp = (token: Token | undefined, ...ops: string[]) => token?.kind === 'op' && ops.includes(token.value)

  const finite = (value: number) => {
    if (!Number.isFinite(value)) throw new PlugboardError<McpServerErrorCode>('CALCULATOR_OUT_OF_RANGE', 'a number or result is too large to represent (beyond ±1.8e308); use smaller numbers')
    return value
  }

  const sum = (depth: number): number => {
    let value = product(depth)
    while (isOp(peek(), '+', '-')) {
      const op = tokens[next++]!.value
      const right = product(depth)
      value = finite(op === '+' ? value + right : value - right)
    }
    return value
  }

  const product = (depth: number): number => {
    let value = unary(depth)
    while (isOp(peek(), '*', '/')) {
      const op = tokens[next++]!.value
      const right = unary(depth)
      if (op === '/' && right === 0) throw new PlugboardError<McpServerErrorCode>('CALCULATOR_DIVISION_BY_ZERO', 'division by zero; check the divisor')
      value = finite(op === '*' ? value * right : value / right)
    }
    return value
  }

  const unary = (depth: number): number => {
    if (depth > MAX_DEPTH) throw invalid(`expression is nested deeper than ${MAX_DEPTH} levels`)
    const token = peek()
    if (token?.kind === 'op' && (token.value === '+' || token.value === '-')) {
      next++
      const value = unary(depth + 1)
      return token.value === '-' ? -value : value
    }
    if (isOp(token, '(')) {
      next++
      const value = sum(depth + 1)
      if (!isOp(peek(), ')')) throw invalid(peek() ? `expected ")" at position ${peek()!.at}` : 'missing ")" at the end')
      next++
      return value
    }
    if (token?.kind === 'number') {
      next++
      return finite(token.value)
    }
    throw invalid(token ? `unexpected "${token.value}" at position ${token.at}` : 'expression ends too early')
  }

  if (tokens.length === 0) throw invalid('expression is empty')
  const result = sum(0)
  const rest = peek()
  if (rest) throw invalid(`unexpected "${rest.value}" at position ${rest.at}`)
  // -0 reads oddly to a person or a model; 0 means the same.
  return result === 0 ? 0 : result
}
