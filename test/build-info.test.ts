import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBuildInfo } from '../lib/metrics/build-info.ts';
import { createMetrics } from '../lib/metrics/registry.ts';
import { cgroupCpuLimit, cgroupMemoryLimit } from '../lib/metrics/container-limits.ts';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { parseMetrics, sampleOf } from './helpers/metrics.ts';
import { startService, type RunningService } from './helpers/service.ts';

/** app_build_info (version and replica name) and the container limits, read by a running service. */
const packageVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('build info', () => {
  it('takes the version the image was built with and the replica name from the environment', () => {
    expect(readBuildInfo({ APP_VERSION: '3f2c1ab', SERVICE_INSTANCE: 'repo-monitor_api.2' })).toEqual({
      version: '3f2c1ab',
      instance: 'repo-monitor_api.2',
    });
  });

  it('falls back to package.json\'s version and the host name outside an image', () => {
    expect(readBuildInfo({ APP_VERSION: '', SERVICE_INSTANCE: ' ' })).toEqual({ version: packageVersion, instance: hostname() });
  });

  it('app_build_info carries them, and the container limits sit beside it', async () => {
    const metrics = createMetrics({ version: '1.4.0-7-g3f2c1ab', instance: 'repo-monitor_api.3', exemplars: false, maxSeries: 10 });
    const families = parseMetrics((await metrics.render(undefined)).body);
    expect(families.get('app_build_info')!.samples).toEqual([
      { labels: { version: '1.4.0-7-g3f2c1ab', node_version: process.version, service_instance: 'repo-monitor_api.3' }, value: 1 },
    ]);
    // No limit on this machine's test process, or one: either way no more than its CPUs and memory.
    expect(sampleOf(families, 'app_cpu_limit_cores', {})?.value).toBeGreaterThan(0);
    expect(sampleOf(families, 'app_cpu_limit_cores', {})?.value).toBeLessThanOrEqual(availableParallelism());
    expect(sampleOf(families, 'app_memory_limit_bytes', {})?.value).toBeLessThanOrEqual(totalmem());
  });
});

describe('a running service', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({
      MONGODB_URI: mongodbUri(),
      MONGODB_DB: uniqueDbName('build_info'),
      APP_VERSION: '1.4.0-7-g3f2c1ab',
      SERVICE_INSTANCE: 'repo-monitor_api.3',
    });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('reports the version it was built with and its replica name, in app_build_info and its start-up line', async () => {
    const families = parseMetrics(await (await fetch(`${service.url}/metrics`)).text());
    expect(families.get('app_build_info')!.samples.map((sample) => sample.labels)).toEqual([
      { version: '1.4.0-7-g3f2c1ab', node_version: process.version, service_instance: 'repo-monitor_api.3' },
    ]);
    expect(await service.waitForLine(/msg=listening/)).toContain('version=1.4.0-7-g3f2c1ab');
  });
});

describe('container limits from cgroup files', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const cgroup = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(root, 'fs-'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), `${content}\n`);
    }
    return { root: dir };
  };

  it('cgroup v2: cpu.max quota over period, memory.max; "max" is no limit', () => {
    expect(cgroupCpuLimit(cgroup({ 'cpu.max': '150000 100000' }))).toBe(1.5);
    expect(cgroupCpuLimit(cgroup({ 'cpu.max': 'max 100000' }))).toBeUndefined();
    expect(cgroupMemoryLimit(cgroup({ 'memory.max': '536870912' }))).toBe(536870912);
    expect(cgroupMemoryLimit(cgroup({ 'memory.max': 'max' }))).toBeUndefined();
  });

  it('cgroup v1: CFS quota over period (-1 is none), memory.limit_in_bytes (a huge number is none)', () => {
    expect(cgroupCpuLimit(cgroup({ 'cpu/cpu.cfs_quota_us': '50000', 'cpu/cpu.cfs_period_us': '100000' }))).toBe(0.5);
    expect(cgroupCpuLimit(cgroup({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }))).toBeUndefined();
    expect(cgroupMemoryLimit(cgroup({ 'memory/memory.limit_in_bytes': '268435456' }))).toBe(268435456);
    expect(cgroupMemoryLimit(cgroup({ 'memory/memory.limit_in_bytes': '9223372036854771712' }))).toBeUndefined();
  });

  it('no cgroup files at all: no limit known', () => {
    expect(cgroupCpuLimit(cgroup({}))).toBeUndefined();
    expect(cgroupMemoryLimit(cgroup({}))).toBeUndefined();
  });
});
