import { resolve } from 'node:path';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built to dist/apps/console and served by apps/console/server (strict CSP, same-origin API proxy).
export default defineConfig({
  root: resolve(__dirname),
  base: '/',
  plugins: [react({})],
  build: {
    outDir: resolve(__dirname, '../../dist/apps/console'),
    emptyOutDir: true,
    sourcemap: false,
    // the chart pages' code (recharts) is loaded when a chart is shown, not with the first page
    chunkSizeWarningLimit: 600,
  },
});
