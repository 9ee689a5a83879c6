// The UI's build: React through @vitejs/plugin-react, output in renderer/dist, relative
// asset paths so the same build loads over http:// (headless hub) and app:// (Electron).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// import.meta.dirname, not node:path: the renderer folder uses no Node built-ins (layering).
const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or data: modules: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
