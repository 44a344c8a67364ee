import { describe, expect, it } from 'vitest'
import { bindingBody, bindingValues, sameBinding, type PluginBinding } from './binding-values'

const BINDING: PluginBinding = { hooks: null, priority: 5, failurePolicy: 'fail-closed', deadlineMs: null, apps: ['a', 'b'], llms: [], tools: ['t'], datasources: [], chatGroups: ['g'] }

describe('the binding card’s values', () => {
  it('send what the binding holds, an empty deadline as null (the default) and an empty priority as 0', () => {
    expect(bindingBody(bindingValues(BINDING), true)).toEqual({ priority: 5, failurePolicy: 'fail-closed', deadlineMs: null, apps: ['a', 'b'], llms: [], tools: ['t'], datasources: [], chatGroups: ['g'] })
    expect(bindingBody({ ...bindingValues(BINDING), priority: ' ', deadlineMs: ' 250 ' }, true)).toMatchObject({ priority: 0, deadlineMs: 250 })
  })

  it('leave the agent lists of a plugin that is no agent as they are', () => {
    const body = bindingBody(bindingValues(BINDING), false)
    expect(Object.keys(body).sort()).toEqual(['apps', 'deadlineMs', 'failurePolicy', 'llms', 'priority'])
  })
})

describe('whether a binding changed', () => {
  it('ignores the order of its lists and what the card does not edit', () => {
    expect(sameBinding(BINDING, { ...BINDING, apps: ['b', 'a'], hooks: ['post_auth'] })).toBe(true)
  })

  it('sees a changed target, priority, policy or deadline', () => {
    for (const change of [{ apps: ['a'] }, { chatGroups: [] }, { priority: 6 }, { failurePolicy: 'fail-open' }, { deadlineMs: 100 }]) expect(sameBinding(BINDING, { ...BINDING, ...change }), JSON.stringify(change)).toBe(false)
  })
})
