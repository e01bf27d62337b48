import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Reads /metrics output with Prometheus' own parser (tools/promparse wraps the Go expfmt
 * package), so tests check what a real scraper would see.
 */
const PROMPARSE = fileURLToPath(new URL('../../tools/promparse/bin/promparse', import.meta.url));

export interface Sample {
  labels: Record<string, string>;
  value?: number | null;
  count?: number;
  sum?: number | null;
  buckets?: { le: string; count: number }[];
}

export interface Family {
  name: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  help: string;
  samples: Sample[];
}

export function parseMetrics(text: string): Map<string, Family> {
  const result = spawnSync(PROMPARSE, { input: text, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`exposition format rejected: ${result.stderr || result.error?.message}`);
  const families = JSON.parse(result.stdout) as Family[];
  return new Map(families.map((family) => [family.name, family]));
}

/**
 * Scrapes once every request already answered has been recorded: a request is recorded when
 * its response closes on the server, which can be a moment after the client has read it.
 */
export async function scrape(baseUrl: string): Promise<Map<string, Family>> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${baseUrl}/metrics`);
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
    const families = parseMetrics(await response.text());
    const inFlight = families.get('http_requests_in_flight')?.samples[0]?.value ?? 0;
    if (inFlight === 0 || attempt >= 500) return families;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The sample of `name` whose labels are exactly `labels`. */
export function sampleOf(families: Map<string, Family>, name: string, labels: Record<string, string>): Sample | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return families.get(name)?.samples.find((sample) => JSON.stringify(Object.entries(sample.labels).sort()) === wanted);
}

/** The cumulative count in the bucket with this upper bound. */
export const bucketCount = (sample: Sample | undefined, le: string) => sample?.buckets?.find((b) => b.le === le)?.count;

/** How many series the families hold (each histogram bucket, sum and count counted, as Prometheus stores them). */
export function seriesCount(families: Map<string, Family>, prefix = ''): number {
  let count = 0;
  for (const family of families.values()) {
    if (!family.name.startsWith(prefix)) continue;
    for (const sample of family.samples) count += sample.buckets ? sample.buckets.length + 3 : 1;
  }
  return count;
}
