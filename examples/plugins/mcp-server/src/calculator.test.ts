import { describe, expect, it } from 'vitest'
import { MAX_EXPRESSION_LENGTH, evaluateExpression } from './calculator.js'

describe('evaluateExpression', () => {
  it.each([
    ['2*(3+4)', 14],
    [' 1 + 2 * 3 ', 7],
    ['(1 + 2) * 3', 9],
    ['10 / 4 - 1.5', 1],
    ['8 / 2 / 2', 2],
    ['8 - 2 - 2', 4],
    ['-(2+3) * -2', 10],
    ['+.5e1 / 2', 2.5],
    ['1.5E-1 * 10', 1.5],
    ['((((7))))', 7],
    ['-0 * 1', 0],
  ])('%s = %d, with the usual precedence and left associativity', (expression, expected) => {
    expect(evaluateExpression(expression)).toBe(expected)
  })

  it.each([
    ['', 'expression is empty'],
    ['   ', 'expression is empty'],
    ['2 3', 'unexpected "3" at position 3'],
    ['(1+2', 'missing ")" at the end'],
    ['(1+2 3)', 'expected ")" at position 6'],
    ['1+', 'expression ends too early'],
    ['2**3', 'unexpected "*" at position 3'],
    ['Math.PI', 'unexpected "M" at position 1'],
    ['1 + 1; process.exit()', 'unexpected ";" at position 6'],
    [')', 'unexpected ")" at position 1'],
    ['-'.repeat(150) + '1', 'nested deeper than 100 levels'],
    ['('.repeat(150) + '1' + ')'.repeat(150), 'nested deeper than 100 levels'],
    ['1+'.repeat(MAX_EXPRESSION_LENGTH) + '1', `longer than ${MAX_EXPRESSION_LENGTH} characters`],
  ])('refuses %j with CALCULATOR_INVALID_EXPRESSION: %s', (expression, message) => {
    expect(() => evaluateExpression(expression)).toThrow(expect.objectContaining({ code: 'CALCULATOR_INVALID_EXPRESSION', message: expect.stringContaining(message) }))
  })

  it('refuses division by zero and results beyond a double', () => {
    expect(() => evaluateExpression('1/(2-2)')).toThrow(expect.objectContaining({ code: 'CALCULATOR_DIVISION_BY_ZERO' }))
    expect(() => evaluateExpression('1e308 * 10')).toThrow(expect.objectContaining({ code: 'CALCULATOR_OUT_OF_RANGE' }))
    expect(() => evaluateExpression('1e400')).toThrow(expect.objectContaining({ code: 'CALCULATOR_OUT_OF_RANGE' }))
  })
})
