// Vite builds the React renderer (renderer/) into dist/renderer. base './' because Electron serves the
// built files as app://warden/ (main/electron/policy.ts); the browser-mode host serves them over loopback HTTP.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * index.html carries the strict production CSP. The dev server needs inline scripts (React Refresh
 * preamble) and injected <style> tags, so while serving we relax exactly those two directives; the
 * built output keeps the strict policy.
 */
function devCsp(): Plugin {
  return {
    name: 'warden-dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html
        .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        .replace("connect-src 'self'", "connect-src 'self' ws:");
    },
  };
}

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react(), devCsp()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The polyfill is a few lines of JS in the entry chunk; Chromium/Electron support modulepreload natively.
    modulePreload: { polyfill: false },
  },
});
