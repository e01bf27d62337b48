import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // The first run builds the embedded database helper (Go); later runs reuse it.
    hookTimeout: 300_000,
    testTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', 'junit'],
    outputFile: { junit: 'test-results/junit.xml' },
  },
});
