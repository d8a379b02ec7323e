import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The renderer: a single page built into dist/renderer, served by the web shell or loaded by Electron. Paths are
 * relative to the repository root (where npm scripts run; the station's on-demand build passes `root` itself).
 */
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // No inline scripts or styles: the strict CSP of both shells forbids them.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
