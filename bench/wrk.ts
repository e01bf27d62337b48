import { spawnSync } from 'node:child_process';

/** What one wrk run printed, read back: throughput, latency percentiles, requests and errors. */
export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  /** Non-2xx/3xx answers plus socket errors of every kind. */
  errors: number;
}

/** wrk (C, one thread) leaves a 2-core machine's other core to the server, unlike a JS load generator. */
export const hasWrk = spawnSync('wrk', ['--version']).error === undefined;

/** Runs `wrk -t1 -cN -dS --latency [extra args] url` and parses its report. */
export function runWrk(url: string, options: { connections: number; seconds: number; args?: string[] }): WrkResult {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', ...(options.args ?? []), url];
  return parseWrk(spawnSync('wrk', args, { encoding: 'utf8' }).stdout);
}

export function parseWrk(out: string): WrkResult {
  const ms = (label: string) => {
    const match = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!match) return NaN;
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = [...(/Socket errors: (.*)/.exec(out)?.[1] ?? '').matchAll(/(\d+)/g)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: ms(' 50'),
    p99: ms(' 99'),
    total: Number(/(\d+) requests in/.exec(out)?.[1]),
    errors: non2xx + socketErrors,
  };
}
