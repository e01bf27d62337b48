import { buildSuiteTools } from './lib/suite-tools.ts';

/**
 * `npm run tools`: builds every Go program the test suite needs now, rather than in the
 * test run's setup (CI does this first so the two durations show apart).
 */
const elapsed = buildSuiteTools((line) => process.stderr.write(`${line}\n`));
process.stderr.write(`Go tools ready in ${(elapsed / 1000).toFixed(1)} s\n`);
