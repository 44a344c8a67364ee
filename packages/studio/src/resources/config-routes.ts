import { Type } from 'typebox'
import { actorOf, principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { applyConfigDocument } from '../config/apply-config.js'
import { readConfigDocument, type StudioConfigDocument } from '../config/config-document.js'
import { configYaml, parseConfigText } from '../config/config-file.js'

const Change = Type.Object({
  section: Type.String(),
  key: Type.String(),
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
  fields: Type.Optional(Type.Array(Type.String())),
})

/** The largest config document `apply` takes. */
const MAX_CONFIG_BYTES = 5 * 1024 * 1024

/** Export and apply of the gateway config format (`plugboard config export / apply`). */
export function registerConfigRoutes(app: Api, ctx: StudioContext): void {
  const tags = ['config']
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string', bodyLimit: MAX_CONFIG_BYTES }, (_request, body, done) => done(null, body))

  app.get(
    `${API_PREFIX}/config/export`,
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Everything as the YAML `plugboard gateway --config` reads (vendor keys only with withSecrets, encrypted under the master key)',
        querystring: Type.Object({ withSecrets: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        produces: ['application/yaml'],
        response: { 200: Type.String(), ...errorResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const withSecrets = request.query.withSecrets === true
      const document = await readConfigDocument(ctx.db, withSecrets ? 'encrypted' : 'omitted')
      const header = [
        `Exported from Plugboard Studio at ${new Date().toISOString()}; run it with: plugboard gateway --config FILE`,
        withSecrets
          ? `apiKeyEncrypted values need PLUGBOARD_MASTER_KEY set to Studio's master key (${ctx.masterKey.origin}).`
          : 'Vendor keys are left out: add apiKey to each LLM (or export with --with-secrets). App keys are their hashes.',
      ]
      return reply.type('application/yaml; charset=utf-8').send(configYaml(document, header))
    },
  )

  app.post(
    `${API_PREFIX}/config/apply`,
    {
      config: { access: 'admin' },
      bodyLimit: MAX_CONFIG_BYTES,
      schema: {
        tags,
        summary: 'Make Studio match a gateway config document (YAML, or JSON); dryRun shows the changes only',
        querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ applied: Type.Boolean(), changes: Type.Array(Change) }), ...errorResponses(401, 403, 413, 415, 422) },
      },
    },
    async (request) => {
      const document = typeof request.body === 'string' ? parseConfigText(request.body, { env: {}, baseDir: '/' }) : (request.body as StudioConfigDocument)
      const dryRun = request.query.dryRun === true
      const changes = await applyConfigDocument(ctx.writes, ctx.masterKey, document, { actor: actorOf(principalOf(request)), dryRun, requestId: request.id })
      return { applied: !dryRun && changes.length > 0, changes }
    },
  )
}
