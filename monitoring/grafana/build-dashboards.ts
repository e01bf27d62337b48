/**
 * Writes dashboards/<uid>.json from the TypeScript sources in dashboards-src/ (`npm run
 * dashboards`). With --check it writes nothing and exits 1 when a committed file differs
 * from its source or has no source, so a hand-edited JSON or a source changed without
 * regenerating fails the tests.
 *
 *   node monitoring/grafana/build-dashboards.ts [--check] [--out <dir>]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderDashboards } from './dashboards-src/index.ts';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    out: { type: 'string', default: join(import.meta.dirname, 'dashboards') },
  },
});
const outDir = values.out;
const expected = renderDashboards();

if (values.check) {
  const problems: string[] = [];
  const present = new Set(readdirSync(outDir).filter((name) => name.endsWith('.json')));
  for (const [file, content] of expected) {
    if (!present.has(file)) problems.push(`${file}: missing`);
    else if (readFileSync(join(outDir, file), 'utf8') !== content) problems.push(`${file}: differs from its source`);
  }
  for (const file of present) if (!expected.has(file)) problems.push(`${file}: no source in dashboards-src/`);
  if (problems.length > 0) {
    process.stderr.write(`Dashboards out of date in ${outDir}:\n  ${problems.join('\n  ')}\nRun: npm run dashboards\n`);
    process.exit(1);
  }
  process.stdout.write(`${expected.size} dashboards up to date\n`);
} else {
  mkdirSync(outDir, { recursive: true });
  for (const [file, content] of expected) writeFileSync(join(outDir, file), content);
  process.stdout.write(`wrote ${[...expected.keys()].join(', ')} to ${outDir}\n`);
}
