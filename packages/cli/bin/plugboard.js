#!/usr/bin/env node
// The file npm links as the `plugboard` command. It is committed, not built: npm links
// bins while installing, before anything is compiled, and skips a bin whose file is missing.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const main = new URL('../dist/main.js', import.meta.url)
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    `plugboard: the CLI is not built (${fileURLToPath(main)} is missing).\n` +
      'Run "npm run build" at the root of the Plugboard checkout (npm install runs it too), then try again.\n',
  )
  process.exit(1)
}
await import(main.href)
