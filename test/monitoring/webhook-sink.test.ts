import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logfmt, notificationLines } from '../../monitoring/alertmanager/webhook-sink.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { ROOT } from './helpers.ts';

/** The demo's alert sink: what it logs for each payload shape, and what it refuses. */
describe('the alert sink\'s lines', () => {
  it('one per alert of a webhook payload, one per attachment of a Slack payload', () => {
    const webhook = notificationLines('tickets', {
      status: 'firing',
      alerts: [
        { labels: { alertname: 'DataStale', severity: 'ticket', stack: 's' }, annotations: { summary: 'old', runbook_url: 'https://r#a' } },
        { status: 'resolved', labels: { alertname: 'SyncFailing' } },
      ],
    });
    expect(webhook).toEqual([
      { msg: 'alert notification', receiver: 'tickets', status: 'firing', alertname: 'DataStale', severity: 'ticket', stack: 's', summary: 'old', runbook_url: 'https://r#a' },
      { msg: 'alert notification', receiver: 'tickets', status: 'resolved', alertname: 'SyncFailing', severity: undefined, stack: undefined, summary: undefined, runbook_url: undefined },
    ]);
    expect(notificationLines('oncall', { attachments: [{ title: 'T', title_link: 'https://r#b', text: 'x' }] })).toEqual([
      { msg: 'alert notification', receiver: 'oncall', title: 'T', runbook_url: 'https://r#b', text: 'x' },
    ]);
    expect(notificationLines('x', { something: 'else' })).toEqual([{ msg: 'unrecognised notification', receiver: 'x' }]);
  });

  it('are logfmt that go-logfmt (Promtail\'s decoder) reads back, quotes, newlines and all', () => {
    const fields = { msg: 'alert notification', text: 'line one\nline "two" a=b\\c', empty: '', missing: undefined };
    const line = logfmt(fields);
    expect(line).not.toContain('\n');
    expect(parseLogfmt([line])[0]).toEqual({ msg: 'alert notification', text: 'line one\nline "two" a=b\\c' });
  });
});

describe('the alert sink over HTTP', () => {
  let sink: ChildProcess;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    sink = spawn(process.execPath, [join(ROOT, 'monitoring/alertmanager/webhook-sink.ts')], {
      env: { ...process.env, ALERT_SINK_HOST: '127.0.0.1', ALERT_SINK_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    sink.stdout!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    for (let attempt = 0; attempt < 100 && !lines.some((line) => line.includes('listening')); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    url = `http://127.0.0.1:${/port=(\d+)/.exec(lines.find((line) => line.includes('listening'))!)![1]}`;
  });

  afterAll(() => sink?.kill());

  it('answers 400 with a JSON error to a body that is not JSON, and logs the refusal', async () => {
    const response = await fetch(`${url}/tickets`, { method: 'POST', body: 'not json' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining('JSON') });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.some((line) => line.includes('msg="refused notification" receiver=tickets'))).toBe(true);
  });

  it('refuses a body over 1 MiB without reading it all', async () => {
    const response = await fetch(`${url}/tickets`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) }).catch(() => undefined);
    // Either the 400 arrives or the sink closes the connection while the body still streams in.
    if (response) expect(response.status).toBe(400);
    expect((await fetch(`${url}/`)).status).toBe(200); // and it still serves
    expect(lines.some((line) => line.includes('error="body too large"'))).toBe(true);
  });

  it('answers GET (its health check) and refuses other methods with 405', async () => {
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/oncall`, { method: 'PUT', body: '{}' })).status).toBe(405);
  });
});
