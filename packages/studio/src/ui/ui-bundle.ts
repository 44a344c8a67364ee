import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, relative, sep } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/** Vite names what it puts here after the content's hash: a changed file gets a new name. */
const HASHED_DIR = '/assets/'

/** One file of the built UI, as it is sent. */
export interface UiFile {
  body: Buffer
  contentType: string
  /** Under /assets/: named by its hash, cached for good; anything else is revalidated every time. */
  immutable: boolean
}

/** The built UI, read into memory at start (a few hundred KB): answered by exact path, so no path can reach outside it. */
export interface UiBundle {
  dir: string
  /** By URL path (`/index.html`, `/assets/index-3kZy.js`); empty when the UI is not built. */
  files: ReadonlyMap<string, UiFile>
  index: UiFile | undefined
}

/** Where `@plugboard/ui` put its build (`packages/ui/dist` in the repository), or undefined when it is not installed. */
export function defaultUiDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@plugboard/ui/package.json')), 'dist')
  } catch {
    return undefined
  }
}

/** Reads the built UI in `dir`; a missing or unbuilt directory gives an empty bundle (Studio then says how to build it). */
export function loadUiBundle(dir: string | undefined): UiBundle {
  const files = new Map<string, UiFile>()
  if (dir && existsSync(join(dir, 'index.html'))) {
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue
      const path = join(entry.parentPath, entry.name)
      const url = `/${relative(dir, path).split(sep).join('/')}`
      files.set(url, {
        body: readFileSync(path),
        contentType: CONTENT_TYPES[extname(entry.name)] ?? 'application/octet-stream',
        immutable: url.startsWith(HASHED_DIR),
      })
    }
  }
  return { dir: dir ?? '', files, index: files.get('/index.html') }
}
