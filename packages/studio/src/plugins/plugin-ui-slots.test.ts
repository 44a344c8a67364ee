import { describe, expect, it } from 'vitest'
import { portalPagesOf, seesPortalPage, uiSlotsOf } from './plugin-ui-slots.js'

describe("uiSlotsOf: a plugin's dashboard slots from its manifest", () => {
  it('mounts routes under /x/{name}, points modules at /plugins/{name}/ui/ and keeps sidebar entries that name a route', () => {
    const slots = uiSlotsOf('limits', 'rate-limit-dashboard', {
      routes: [{ path: '/', title: 'Rate limits', element: 'rate-limit-dashboard-page', module: 'page.js' }],
      sidebar: [{ title: 'Rate limits', path: '/' }],
      appTabs: [{ title: 'Limits', element: 'rate-limit-dashboard-app', module: 'tabs/app.mjs' }],
      llmTabs: [{ title: 'Limits', element: 'rate-limit-dashboard-llm', module: 'tabs/llm.js' }],
      settings: [{ title: 'Rate limits', element: 'rate-limit-dashboard-settings', module: 'settings.js' }],
      rpc: ['counters'],
    })
    expect(slots).toEqual({
      routes: [{ path: '/x/limits', title: 'Rate limits', element: 'rate-limit-dashboard-page', moduleUrl: '/plugins/limits/ui/page.js' }],
      sidebar: [{ title: 'Rate limits', path: '/x/limits' }],
      appTabs: [{ title: 'Limits', element: 'rate-limit-dashboard-app', moduleUrl: '/plugins/limits/ui/tabs/app.mjs' }],
      llmTabs: [{ title: 'Limits', element: 'rate-limit-dashboard-llm', moduleUrl: '/plugins/limits/ui/tabs/llm.js' }],
      settings: [{ title: 'Rate limits', element: 'rate-limit-dashboard-settings', moduleUrl: '/plugins/limits/ui/settings.js' }],
      problems: [],
    })
  })

  it('skips each bad entry with its problem, keeping the good ones', () => {
    const good = { path: '/ok', title: 'OK', element: 'p-ok', module: 'ok.js' }
    const slots = uiSlotsOf('p', 'p', {
      routes: [
        good,
        { ...good, element: 'other-page' },
        { ...good, element: 'P-Upper' },
        { ...good, element: 'nodash' },
        { ...good, module: '../secrets.js' },
        { ...good, module: 'https://cdn.example.com/x.js' },
        { ...good, module: 'style.css' },
        { ...good, path: '/../admin' },
        { ...good, title: '' },
        'not an object',
      ],
      sidebar: [{ title: 'OK', path: '/ok' }, { title: 'Nowhere', path: '/nowhere' }],
      appTabs: { not: 'an array' },
    })
    expect(slots.routes).toEqual([{ path: '/x/p/ok', title: 'OK', element: 'p-ok', moduleUrl: '/plugins/p/ui/ok.js' }])
    expect(slots.sidebar).toEqual([{ title: 'OK', path: '/x/p/ok' }])
    expect(slots.problems.map((problem) => problem.path)).toEqual([
      '/ui/routes/9',
      '/ui/routes/1/element',
      '/ui/routes/2/element',
      '/ui/routes/3/element',
      '/ui/routes/4/module',
      '/ui/routes/5/module',
      '/ui/routes/6/module',
      '/ui/routes/7/path',
      '/ui/routes/8/title',
      '/ui/appTabs',
      '/ui/sidebar/1/path',
    ])
    expect(slots.problems[1]!.message).toContain('"p-"')
  })

  it('answers empty slots for a plugin without ui, and one problem for a ui that is not an object', () => {
    expect(uiSlotsOf('p', 'p', undefined)).toMatchObject({ routes: [], sidebar: [], problems: [] })
    expect(uiSlotsOf('p', 'p', ['x']).problems).toEqual([{ path: '/ui', message: 'is not an object' }])
  })
})

describe("portalPagesOf: a plugin's portal pages from its manifest", () => {
  const page = { path: '/', title: 'Feedback', element: 'fb-form', module: 'portal.js' }

  it('mounts pages under /portal/x/{name}, with their groups (null: everyone) and RPC methods', () => {
    expect(portalPagesOf('fb', 'fb', { pages: [{ ...page, rpc: ['submit', 'submit'] }, { ...page, path: '/team', groups: ['Support', 'Support'] }] })).toEqual({
      pages: [
        { path: '/portal/x/fb', title: 'Feedback', element: 'fb-form', moduleUrl: '/plugins/fb/ui/portal.js', groups: null, rpc: ['submit'] },
        { path: '/portal/x/fb/team', title: 'Feedback', element: 'fb-form', moduleUrl: '/plugins/fb/ui/portal.js', groups: ['Support'], rpc: [] },
      ],
      problems: [],
    })
  })

  it('skips each bad page with its problem: fields as for dashboard routes, groups, rpc, a path taken twice', () => {
    const found = portalPagesOf('fb', 'fb', {
      pages: [
        page,
        { ...page, element: 'other-form' },
        { ...page, module: '../x.js' },
        { ...page, path: '/a', groups: [] },
        { ...page, path: '/b', groups: 'Support' },
        { ...page, path: '/c', groups: [''] },
        { ...page, path: '/d', rpc: ['has space'] },
        { ...page, path: '/e', rpc: [1] },
        page,
      ],
    })
    expect(found.pages.map((entry) => entry.path)).toEqual(['/portal/x/fb'])
    expect(found.problems.map((problem) => problem.path)).toEqual([
      '/portal/pages/1/element',
      '/portal/pages/2/module',
      '/portal/pages/3/groups',
      '/portal/pages/4/groups',
      '/portal/pages/5/groups',
      '/portal/pages/6/rpc',
      '/portal/pages/7/rpc',
      '/portal/pages/8/path',
    ])
    expect(found.problems[2]!.message).toContain('leave groups out')
    expect(portalPagesOf('fb', 'fb', 'pages')).toEqual({ pages: [], problems: [{ path: '/portal', message: 'is not an object' }] })
    expect(portalPagesOf('fb', 'fb', { pages: {} }).problems).toEqual([{ path: '/portal/pages', message: 'is not an array' }])
  })

  it('shows a page to a member of any of its groups, by exact name, and an open page to everyone', () => {
    expect(seesPortalPage({ groups: null }, [])).toBe(true)
    expect(seesPortalPage({ groups: ['Support', 'Ops'] }, ['Sales', 'Ops'])).toBe(true)
    expect(seesPortalPage({ groups: ['Support'] }, ['support', 'Sales'])).toBe(false)
  })
})
