import type { AppItem, AppKeyItem, IssuedKeyItem, RotatedKeyItem } from '@plugboard/studio/api-types'
import { apiRequest } from './client'
import type { Page } from './page'

const id = (value: string) => encodeURIComponent(value)

/**
 * The calls on apps and their keys under `base`: the admin's `/apps` (every
 * app) and a portal user's `/me/apps` (their own) answer in the same shapes.
 */
export function appCalls<CreateBody>(base: '/apps' | '/me/apps') {
  return {
    apps: () => apiRequest<Page<AppItem>>(`${base}?limit=200`),
    app: (appId: string) => apiRequest<AppItem>(`${base}/${id(appId)}`),
    createApp: (body: CreateBody) => apiRequest<AppItem>(base, { method: 'POST', body }),
    appKeys: (appId: string) => apiRequest<Page<AppKeyItem>>(`${base}/${id(appId)}/keys?limit=200`),
    issueKey: (appId: string) => apiRequest<IssuedKeyItem>(`${base}/${id(appId)}/keys`, { method: 'POST', body: {} }),
    /** A new key (shown once) in place of `keyId`, which is revoked at once. */
    rotateKey: (appId: string, keyId: string) => apiRequest<RotatedKeyItem>(`${base}/${id(appId)}/keys/${id(keyId)}/rotate`, { method: 'POST', body: {} }),
    revokeKey: (appId: string, keyId: string) => apiRequest<void>(`${base}/${id(appId)}/keys/${id(keyId)}`, { method: 'DELETE' }),
  }
}

export type AppCalls<CreateBody> = ReturnType<typeof appCalls<CreateBody>>
