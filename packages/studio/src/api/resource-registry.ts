import type { ObjectWriter } from '../plugins/plugin-runtime.js'
import type { ObjectType } from './changes.js'
import type { ResourceService } from './resource.js'
import type { Actor } from './writes.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyResourceService = ResourceService<any, any, any, any, any>

/**
 * Every resource's write path by object type, filled as the routes are
 * registered: the admin API's writes for callers without HTTP. As an
 * ObjectWriter (the Service API's LLM and app writes), a body is checked
 * against the route's schema (VALIDATION_FAILED with its paths), then goes
 * through the same object hooks, audit entry and change feed as the route,
 * with `actor` as who wrote. No If-Match: the write is unconditional.
 */
export class ResourceRegistry implements ObjectWriter {
  readonly #services = new Map<ObjectType, AnyResourceService>()

  add(service: AnyResourceService): void {
    if (this.#services.has(service.type)) throw new Error(`a resource of type "${service.type}" is already registered`)
    this.#services.set(service.type, service)
  }

  /** The write path of one object type; throws when no resource of that type was registered (a wiring bug). */
  get(type: ObjectType): AnyResourceService {
    const service = this.#services.get(type)
    if (!service) throw new Error(`no resource of type "${type}" is registered`)
    return service
  }

  /** The object as the API presents it; undefined when it is gone, or its type is not a resource. */
  async present(type: ObjectType, id: string): Promise<unknown> {
    const service = this.#services.get(type)
    if (!service) return undefined
    try {
      return await service.find(id)
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return undefined
      throw error
    }
  }

  async create(type: ObjectType, body: unknown, actor: Actor): Promise<unknown> {
    const service = this.get(type)
    return service.create(service.parse('create', body), { actor })
  }

  async update(type: ObjectType, idOrSlug: string, patch: unknown, actor: Actor): Promise<unknown> {
    const service = this.get(type)
    return service.update(idOrSlug, service.parse('update', patch), { actor })
  }

  async delete(type: ObjectType, idOrSlug: string, actor: Actor): Promise<void> {
    return this.get(type).delete(idOrSlug, { actor })
  }
}
