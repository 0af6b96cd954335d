// `npm run test:compose`: the docker compose devnet on a real Docker engine
// (test/compose/). Apart from `npm test` because it installs and starts an engine when none
// runs, builds images and takes minutes; .ci/run runs it as its own step after `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/compose/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 2_700_000,
    pool: 'forks',
    // The stages print their timings as they go.
    reporters: ['verbose'],
    globalSetup: ['test/helpers/build-once.ts'],
  },
});
