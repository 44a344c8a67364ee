import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { TEMPLATE_FILE } from '../src/db/database.js'

describe('the first-start template', () => {
  it('is the one the build made, found from source as from the build (else every new embedded database runs initdb)', async () => {
    const built = (await import(new URL('../dist/db/database.js', import.meta.url).href)) as { TEMPLATE_FILE: string }
    expect(TEMPLATE_FILE).toBe(built.TEMPLATE_FILE)
    expect(existsSync(TEMPLATE_FILE)).toBe(true)
  })
})

describe('the master key', () => {
  it('is made on first start as a file only its owner may read, and read back unchanged on the next', async () => {
    const { mkdtempSync, readFileSync, rmSync, statSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { loadMasterKey } = await import('../src/accounts/master-key.js')
    const dir = mkdtempSync(join(tmpdir(), 'pb-key-'))
    try {
      const file = join(dir, 'data', 'master.key')
      const first = await loadMasterKey({}, file)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const again = await loadMasterKey({}, file)
      expect(again.decrypt(first.encrypt('sk-secret'))).toBe('sk-secret')
      expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32)
      const fromEnv = await loadMasterKey({ PLUGBOARD_MASTER_KEY: 'from env' }, file)
      expect(fromEnv.origin).toBe('PLUGBOARD_MASTER_KEY')
      expect(() => fromEnv.decrypt(first.encrypt('x'))).toThrow(/MASTER_KEY|does not decrypt/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
