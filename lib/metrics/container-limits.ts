import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { Gauge, type Registry, type RegistryContentType } from 'prom-client';

/**
 * The CPU and memory this process may use: its container's cgroup limits (v2 `cpu.max` and
 * `memory.max`, or v1's CFS quota and `memory.limit_in_bytes`), else what the machine has
 * (its CPUs, its memory). Dashboards set CPU and memory use against them, and an unlimited
 * container still reads as the machine it runs on. Read at scrape time: `docker update` can
 * change a running container's limits.
 */
export interface CgroupPaths {
  /** Where the cgroup file systems are mounted: /sys/fs/cgroup in a container. */
  root: string;
}

const readNumber = (path: string): number | undefined => {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === 'max' ? undefined : Number(text.split(/\s+/)[0]);
  } catch {
    return undefined;
  }
};

/** CPU cores the cgroup's quota allows, or undefined without a quota. */
export function cgroupCpuLimit({ root }: CgroupPaths): number | undefined {
  try {
    const [quota, period] = readFileSync(`${root}/cpu.max`, 'utf8').trim().split(/\s+/);
    return quota === 'max' ? undefined : Number(quota) / Number(period);
  } catch {
    // cgroup v1: a negative quota means none.
    const quota = readNumber(`${root}/cpu/cpu.cfs_quota_us`);
    const period = readNumber(`${root}/cpu/cpu.cfs_period_us`);
    return quota !== undefined && quota > 0 && period ? quota / period : undefined;
  }
}

/** Bytes the cgroup may use, or undefined without a limit (v1 writes "none" as a huge number). */
export function cgroupMemoryLimit({ root }: CgroupPaths): number | undefined {
  const limit = readNumber(`${root}/memory.max`) ?? readNumber(`${root}/memory/memory.limit_in_bytes`);
  return limit !== undefined && Number.isFinite(limit) && limit < totalmem() ? limit : undefined;
}

export function registerContainerLimits(registry: Registry<RegistryContentType>, paths: CgroupPaths = { root: '/sys/fs/cgroup' }): void {
  const registers = [registry];
  new Gauge({
    name: 'app_cpu_limit_cores',
    help: 'CPU cores this process may use: its container\'s CPU quota, else the CPUs available to it.',
    registers,
    collect() {
      this.set(Math.min(cgroupCpuLimit(paths) ?? Infinity, availableParallelism()));
    },
  });
  new Gauge({
    name: 'app_memory_limit_bytes',
    help: 'Memory this process may use: its container\'s memory limit, else the machine\'s memory.',
    registers,
    collect() {
      this.set(cgroupMemoryLimit(paths) ?? totalmem());
    },
  });
}
