import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The web UI is a static bundle served by the API server from dist/web.
export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
