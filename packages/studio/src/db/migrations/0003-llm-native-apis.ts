import type { Kysely, Migration } from 'kysely'

/** The client APIs an LLM's upstream speaks natively (the gateway's `llms[].nativeApis`); null: the vendor's default. */
export const llmNativeApis: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('llms').addColumn('native_apis', 'jsonb').execute()
  },
}
