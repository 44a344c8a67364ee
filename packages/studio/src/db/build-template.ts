/** `node dist/db/build-template.js`: makes the embedded database's first-start template (run by the build) unless the current one exists. */
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTemplate, TEMPLATE_FILE } from './database.js'

if (!existsSync(TEMPLATE_FILE)) {
  await buildTemplate(join(tmpdir(), `plugboard-template-${process.pid}`))
  console.log(`studio: embedded database template written to ${TEMPLATE_FILE}`)
}
