import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import type { Plugin, UserConfig } from 'vite';
import { contentSecurityPolicy } from './src/shared/csp.ts';

const root = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Puts the Content-Security-Policy meta tag first in index.html: the production policy in a build,
 * the dev server's relaxed one under `electron-vite dev` (see src/shared/csp.ts).
 */
function cspMetaTag(): Plugin {
  return {
    name: 'raftlab:csp-meta-tag',
    transformIndexHtml(_html, ctx) {
      const devServer = ctx.server?.resolvedUrls?.local[0];
      const content = contentSecurityPolicy(devServer ? { devServer } : {});
      return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content }, injectTo: 'head-prepend' }];
    },
  };
}

/**
 * The renderer's Vite config. Exported so that the UI test (test/ui) can build the renderer alone,
 * with exactly these settings, into a directory of its own.
 */
export function rendererConfig(): UserConfig {
  return {
    root: root('./src/renderer'),
    base: './',
    plugins: [vue(), cspMetaTag()],
    build: {
      outDir: root('./out/renderer'),
      emptyOutDir: true,
      target: 'es2023',
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
      rolldownOptions: { input: root('./src/renderer/index.html') },
    },
  };
}

export default defineConfig({
  main: {
    build: {
      rolldownOptions: { input: { index: root('./src/main/index.ts') } },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot load modules: bundle everything (the contract and zod) into one
      // CommonJS file, out/preload/index.cjs.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: root('./src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig(),
});
