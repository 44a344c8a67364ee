import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * Built into `dist/` and served by Studio under a strict CSP: no inline
 * script or style, and nothing inlined as a data: URL.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // esbuild compiles the JSX; no React plugin needed (no fast refresh in a build).
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    // The polyfill is for browsers without modulepreload; every browser the UI supports has it.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: {
      // react-router marks its modules "use client" for server components; a client bundle has nothing to do with it.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning)
      },
    },
  },
})
