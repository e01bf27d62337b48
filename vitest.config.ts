import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Global setup builds the Go helpers, once per run (minutes on a cold Go cache,
    // docs/development.md); generous hook timeouts for test files that start whole stacks.
    hookTimeout: 300_000,
    testTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', 'junit'],
    outputFile: { junit: 'test-results/junit.xml' },
  },
});
