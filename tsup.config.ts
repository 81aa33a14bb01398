import { defineConfig } from 'tsup';

// One build, two module formats: NestJS hosts are usually CommonJS, newer hosts ESM.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'adapters/express/index.ts',
    koa: 'adapters/koa/index.ts',
    nest: 'adapters/nest/index.ts',
    metrics: 'src/metrics.ts',
    redis: 'src/redis.ts',
    testing: 'src/testing/index.ts',
    // `switchyard serve`; its `#!/usr/bin/env node` line is kept and the file made executable.
    cli: 'src/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: true,
  // `import.meta.url` in the CommonJS build, for loading optional peers (`@opentelemetry/api`).
  shims: true,
  // Adapters import the core by its package name, so every entry shares one copy of it.
  external: ['switchyard', /^@nestjs\//, 'rxjs', 'reflect-metadata', 'koa', 'express', 'prom-client', 'ioredis', /^@opentelemetry\//],
});
