import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLogfmt } from './helpers/logs.ts';

/** The batched stdout writer (lib/logging/stdout-writer.ts) in a process of its own. */
const fixture = fileURLToPath(new URL('./fixtures/log-writer.ts', import.meta.url));
const run = (mode: string) => spawnSync(process.execPath, [fixture, mode], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });

describe('the stdout writer', () => {
  it('writes lines still waiting when the process exits', () => {
    const result = run('exit');
    expect(result.status).toBe(0);
    expect(parseLogfmt(result.stdout.trim().split('\n')).map((r) => r.msg)).toEqual(['first', 'second']);
  });

  it('writes a waiting line within a few tens of milliseconds while the process lives on', async () => {
    const child = spawn(process.execPath, [fixture, 'idle'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (data: Buffer) => resolve(data.toString()));
        setTimeout(() => reject(new Error('no line within 5 s')), 5_000);
      });
      expect(parseLogfmt([line.trim()])[0]!.msg).toBe('waiting');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('writes a WARN line, and everything queued before it, before the call returns: a SIGKILL right after loses nothing', () => {
    const result = run('killed');
    expect(result.signal).toBe('SIGKILL');
    expect(parseLogfmt(result.stdout.trim().split('\n')).map((r) => [r.lvl, r.msg])).toEqual([
      ['INFO', 'waiting'],
      ['WARN', 'a problem'],
    ]);
  });

  it('keeps every line whole and in order across many buffers, including one too long to share a buffer', () => {
    const result = run('volume');
    expect(result.status).toBe(0);
    const records = parseLogfmt(result.stdout.trim().split('\n'));
    expect(records).toHaveLength(2_002);
    records.slice(0, 2_000).forEach((record, i) => {
      expect(record).toMatchObject({ msg: 'line', i: String(i), text: 'é'.repeat(i % 50) });
    });
    expect(records[2_000]!.text).toBe('x'.repeat(30_000));
    expect(records[2_001]!.msg).toBe('after long');
  });
});
