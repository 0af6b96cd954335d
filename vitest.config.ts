import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // The CLI the tests spawn runs from dist/: build it first when the sources are newer.
    globalSetup: ['test/helpers/build-once.ts'],
  },
});
