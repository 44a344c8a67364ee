import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The error catalogue: every code a package raises is documented in that
 * package's README error table (`| \`CODE\` | …`), and where the package keeps
 * a table of its codes with their meaning (`X_ERRORS = { CODE: { doc } }`,
 * exported), the README says exactly that. Codes are found in the source, so a
 * code added anywhere in `packages/*\/src` fails here until it is documented.
 */

const packagesDir = fileURLToPath(new URL('../../', import.meta.url))
const SCREAMING = /'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g

/** Source files of a package: no tests, no generated code. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !relative(dir, path).split('/').includes('gen'))
}

/** The text without comments, which quote codes as examples (a plugin's `IP_NOT_ALLOWED`). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
}

/** The text from an opening bracket at `open` to its closing one. */
function bracketed(source: string, open: number): string {
  let depth = 0
  for (let i = open; i < source.length; i++) {
    if ('{[('.includes(source[i]!)) depth++
    else if ('}])'.includes(source[i]!) && --depth === 0) return source.slice(open, i + 1)
  }
  return source.slice(open)
}

/**
 * Codes raised in `source`, by the ways the packages raise them:
 * - the first argument of an error constructor or factory: `new GatewayError('X'`,
 *   `new PlugboardError<T>(\n 'X'`, `hostError('X'`, `new PlugboardError(code || 'X'`, a ternary of codes;
 * - a fallback code: `fromGrpcError(error, 'X')`, `errorCode: 'X'`, an error object `{ code: 'X', message }`;
 * - a table of codes: the keys of `X_ERRORS = { CODE: … }`, the items of `X_ERROR_CODES = ['CODE', …]`.
 */
function codesIn(source: string): Set<string> {
  const text = withoutComments(source)
  const codes = new Set<string>()
  const literals = (fragment: string) => {
    for (const [, code] of fragment.matchAll(SCREAMING)) codes.add(code!)
  }
  for (const [, first] of text.matchAll(/(?:\bnew\s+\w*Error|\b\w*[a-z]Error)\s*(?:<[^<>()]*>)?\(\s*([^,()]*)/g)) literals(first!)
  for (const [fallback] of text.matchAll(/\bfromGrpcError\(\s*[^,()]*,\s*'[A-Z0-9_]+'|\b(?:errorCode|code)\s*:\s*'[A-Z0-9_]+'/g)) literals(fallback)
  for (const table of text.matchAll(/\bconst\s+[A-Z_]*ERROR[A-Z_]*\s*(?::[^=]*)?=\s*([{[])/g)) {
    const body = bracketed(text, table.index + table[0].length - 1)
    if (table[1] === '[') literals(body)
    else {
      // Keys of entries that describe a code (`CODE: { status, doc }`); a map of another system's codes
      // to ours (`HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE'`) raises its values, not its keys.
      const flat = body.slice(1, -1).replace(/\{[^{}]*\}/g, '{}')
      for (const [, code] of flat.matchAll(/(?:^|[{,\s])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\s*:\s*\{\}/g)) codes.add(code!)
      for (const [, code] of flat.matchAll(/:\s*'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) codes.add(code!)
    }
  }
  return codes
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Codes in a README's tables: rows that start with a code. */
function documentedCodes(readme: string): Set<string> {
  return new Set([...readme.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1]!))
}

const packages = readdirSync(packagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .filter((name) => readdirSync(join(packagesDir, name)).includes('src'))

/** The workspace packages `name` depends on: a code of theirs may be documented in their README (the Service API's in proto's). */
function dependencies(name: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  return Object.keys(manifest.dependencies ?? {})
    .filter((dependency) => dependency.startsWith('@plugboard/'))
    .map((dependency) => dependency.slice('@plugboard/'.length))
}

const raised = packages.map((name) => {
  const dir = join(packagesDir, name)
  const byCode = new Map<string, string[]>()
  const tables: string[] = []
  for (const file of sourceFiles(join(dir, 'src'))) {
    const source = readFileSync(file, 'utf8')
    for (const code of codesIn(source)) byCode.set(code, [...(byCode.get(code) ?? []), relative(dir, file)])
    if (/^export const [A-Z_]+_ERRORS\b/m.test(source)) tables.push(relative(dir, file))
  }
  return { name, dir, byCode, tables, dependencies: dependencies(name) }
})

describe('the error catalogue', () => {
  it('finds codes written the ways the packages raise them, and none quoted in comments', () => {
    const source = `
      /** e.g. block({ body: { error: { code: 'IN_A_COMMENT' } } }) */
      // throw hostError('NOR_HERE', 'x')
      throw new GatewayError('A_CODE', \`message with 'NOT_A_CODE' inside\`)
      throw new PlugboardError<T>(
        'MULTI_LINE', 'x')
      reject(new PlugboardError(body.code || 'FALLBACK_ONE', 'x'))
      throw new GatewayError(status === 400 ? 'TERNARY_A' : 'TERNARY_B', message, status)
      throw hostError('FACTORY_CODE', 'x')
      throw fromGrpcError(error, 'GRPC_FALLBACK')
      callUnary(client, m, r, { errorCode: 'CALL_FALLBACK' })
      return { code: 'OBJECT_CODE', message }
      export const THING_ERRORS = { TABLE_KEY: { status: 1, doc: 'x' }, OTHER_KEY: { status: 2, doc: 'y' } } as const
      const PARSER_ERRORS = { HPE_FOREIGN_CODE: 'MAPPED_CODE' }
      export const SDK_ERROR_CODES = ['LISTED_CODE'] as const
      const env = 'PLUGBOARD_MASTER_KEY'
    `
    expect([...codesIn(source)].sort()).toEqual(
      ['A_CODE', 'CALL_FALLBACK', 'FACTORY_CODE', 'FALLBACK_ONE', 'GRPC_FALLBACK', 'LISTED_CODE', 'MAPPED_CODE', 'MULTI_LINE', 'OBJECT_CODE', 'OTHER_KEY', 'TABLE_KEY', 'TERNARY_A', 'TERNARY_B'].sort(),
    )
  })

  it('finds the codes of every package', () => {
    const all = new Set(raised.flatMap(({ byCode }) => [...byCode.keys()]))
    for (const code of ['GATEWAY_ERRORS', 'HOST_ERRORS']) expect(all).not.toContain(code)
    for (const code of ['INVALID_API_KEY', 'PLUGIN_EXITED', 'HOOK_INVALID_RESULT', 'BROKER_TIMEOUT', 'CLI_INVALID_USAGE', 'UPSTREAM_STREAM_ERROR']) expect(all).toContain(code)
  })

  describe.each(raised)('$name', ({ dir, byCode, tables, dependencies }) => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')

    it('documents every code it raises in its README error table (or, for a code of a package it depends on, in that one)', () => {
      const documented = new Set([readme, ...dependencies.map((name) => readFileSync(join(packagesDir, name, 'README.md'), 'utf8'))].flatMap((text) => [...documentedCodes(text)]))
      const missing = [...byCode].filter(([code]) => !documented.has(code)).map(([code, files]) => `${code} (raised in ${files.join(', ')})`)
      expect(missing).toEqual([])
    })

    it('documents each code of its error tables (`X_ERRORS = { CODE: { doc } }`) with the table’s status and meaning', async () => {
      for (const file of tables) {
        const module = (await import(join(dir, file))) as Record<string, unknown>
        for (const [name, table] of Object.entries(module)) {
          if (!name.endsWith('_ERRORS')) continue
          type Entry = { status?: number; statusDoc?: string; exitCode?: number; doc: string }
          for (const [code, { status, statusDoc, exitCode, doc }] of Object.entries(table as Record<string, Entry>)) {
            const shown = statusDoc ?? status ?? exitCode
            // A table without an HTTP status or exit code (the Service API's gRPC statuses) is checked for its meaning.
            if (shown === undefined) expect(readme, `${file}: ${name}.${code}`).toMatch(new RegExp(`^\\| \`${code}\` \\|.*\\| ${escape(doc)} \\|$`, 'm'))
            else expect(readme, `${file}: ${name}.${code}`).toContain(`| \`${code}\` | ${shown} | ${doc} |`)
          }
        }
      }
    })
  })
})
