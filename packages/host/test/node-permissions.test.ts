import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { nodePermissionArgs } from '../src/node-permissions.js'

describe("Node's permission model for a plugin", () => {
  it('lets it write into a granted directory that does not exist yet once it made it (the output directory on a fresh machine)', () => {
    const root = mkdtempSync(join(tmpdir(), 'pb-perm-'))
    try {
      const ownDir = join(root, 'plugin')
      const out = join(root, 'not-yet', 'analytics')
      execFileSync('mkdir', ['-p', ownDir])
      writeFileSync(join(ownDir, 'main.mjs'), `import { appendFileSync, mkdirSync } from 'node:fs'\nmkdirSync(${JSON.stringify(out)}, { recursive: true })\nappendFileSync(${JSON.stringify(join(out, 'a.jsonl'))}, 'x')\n`)
      // Computed at each launch, as the host does: a grant of a missing path differs from one of an existing path.
      const args = () => nodePermissionArgs({ name: 'writer', ownDir, socketDir: join(root, 'socket'), allowWrite: [join(root, 'not-yet')] })
      execFileSync(process.execPath, [...args(), join(ownDir, 'main.mjs')], { stdio: 'pipe' })
      expect(readFileSync(join(out, 'a.jsonl'), 'utf8')).toBe('x')
      // Outside what was granted stays refused.
      writeFileSync(join(ownDir, 'main.mjs'), `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(join(root, 'elsewhere.txt'))}, 'x')\n`)
      let refused = ''
      try {
        execFileSync(process.execPath, [...args(), join(ownDir, 'main.mjs')], { stdio: 'pipe' })
      } catch (error) {
        refused = String((error as { stderr: Buffer }).stderr)
      }
      expect(refused).toContain('ERR_ACCESS_DENIED')
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
