import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The compose devnet on a real Docker engine runs apart: `npm run test:compose`.
    exclude: [...configDefaults.exclude, 'test/compose/**'],
    testTimeout: 60_000,
    pool: 'forks',
    // The CLI the tests spawn runs from dist/: build it first when the sources are newer.
    globalSetup: ['test/helpers/build-once.ts'],
  },
});
