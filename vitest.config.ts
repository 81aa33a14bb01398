import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^switchyard\/express$/, replacement: here('./adapters/express/index.ts') },
      { find: /^switchyard\/koa$/, replacement: here('./adapters/koa/index.ts') },
      { find: /^switchyard\/nest$/, replacement: here('./adapters/nest/index.ts') },
      { find: /^switchyard\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^switchyard\/metrics$/, replacement: here('./src/metrics.ts') },
      { find: /^switchyard\/redis$/, replacement: here('./src/redis.ts') },
      { find: /^switchyard$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/unhandled.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
