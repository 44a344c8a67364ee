/** Whether a config schema has anything to fill in: an object schema with no properties, and no schema for others, has not. */
export function hasSettings(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false
  const { type, properties, additionalProperties } = schema as { type?: unknown; properties?: object; additionalProperties?: unknown }
  return type !== 'object' || Object.keys(properties ?? {}).length > 0 || (typeof additionalProperties === 'object' && additionalProperties !== null)
}
