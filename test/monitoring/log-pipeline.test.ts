import { randomUUID } from 'node:crypto';
import logfmt from 'logfmt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { readText, readYaml } from './helpers.ts';

/**
 * Real lines from the running service through the log agent's pipeline as configured in
 * promtail.yml (and, identically, config.alloy): logfmt keys, timestamp, level label and
 * structured metadata. Promtail cannot run here; the lines are decoded with the npm
 * logfmt parser and with go-logfmt, the decoder Promtail's logfmt stage uses, and the
 * pipeline's settings are read from the files the stack mounts.
 */
interface Pipeline {
  selector: string;
  extract: string[];
  timestamp: { source: string; format: string };
  labels: Record<string, string>;
  structuredMetadata: string[];
}

function promtailPipeline(): Pipeline {
  const stages = readYaml('monitoring/promtail/promtail.yml').scrape_configs[0].pipeline_stages;
  const match = stages.find((stage: any) => stage.match).match;
  const stage = (name: string) => match.stages.find((entry: any) => entry[name])[name];
  return {
    selector: match.selector,
    extract: Object.keys(stage('logfmt').mapping),
    timestamp: stage('timestamp'),
    labels: stage('labels'),
    structuredMetadata: Object.keys(stage('structured_metadata')),
  };
}

/** The same settings read from config.alloy (River syntax; the few shapes used there). */
function alloyPipeline(): Pipeline {
  const text = readText('monitoring/alloy/config.alloy');
  const block = (name: string) => new RegExp(`${name.replace('.', '\\.')}\\s*\\{([^}]*(?:\\{[^}]*\\}[^}]*)?)\\}`).exec(text)?.[1] ?? '';
  const map = (body: string) => Object.fromEntries([...body.matchAll(/"(\w+)"\s*=\s*"(\w*)"/g)].map(([, key, value]) => [key, value]));
  const attribute = (body: string, name: string) => new RegExp(`${name}\\s*=\\s*"([^"]*)"`).exec(body)?.[1];
  return {
    selector: JSON.parse(`"${/selector\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(text)![1]}"`),
    extract: Object.keys(map(block('stage.logfmt'))),
    timestamp: { source: attribute(block('stage.timestamp'), 'source')!, format: attribute(block('stage.timestamp'), 'format')! },
    labels: map(block('stage.labels')),
    structuredMetadata: Object.keys(map(block('stage.structured_metadata'))),
  };
}

/** Loki and Promtail anchor label regexes at both ends. */
const selects = (selector: string, service: string) => {
  const pattern = /service=~"((?:[^"\\]|\\.)*)"/.exec(selector)![1]!;
  return new RegExp(`^(?:${JSON.parse(`"${pattern}"`)})$`).test(service);
};

const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

describe('the log pipeline (promtail.yml, config.alloy)', () => {
  it('is the same in Promtail and Alloy', () => {
    expect(alloyPipeline()).toEqual(promtailPipeline());
  });

  it('parses the service\'s containers and leaves the others alone', () => {
    const { selector } = promtailPipeline();
    for (const service of ['repo-monitor_api', 'repo-monitor_scheduler', 'staging_api']) expect(selects(selector, service), service).toBe(true);
    for (const service of ['repo-monitor_mongo', 'repo-monitor_grafana', 'repo-monitor_apiary']) expect(selects(selector, service), service).toBe(false);
  });

  it('takes the time from tsp as RFC3339Nano, the level label from lvl, request_id and run_id as metadata', () => {
    expect(promtailPipeline()).toMatchObject({
      timestamp: { source: 'tsp', format: 'RFC3339Nano' },
      labels: { level: 'lvl' },
      structuredMetadata: ['request_id', 'run_id'],
    });
  });
});

describe('real service lines through that pipeline', () => {
  let service: RunningService;
  const requestId = randomUUID();
  let startedAt: number;

  beforeAll(async () => {
    startedAt = Date.now();
    service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('log_pipeline'), LOG_LEVEL: 'debug' });
    const response = await fetch(`${service.url}/repos/nobody/nothing`, {
      headers: { 'x-request-id': requestId, 'user-agent': 'probe "quoted" a=b\\c' },
    });
    expect(response.status).toBe(404);
    await service.waitForLine(new RegExp(`request_id=${requestId}.*msg=request|msg=request.*request_id=${requestId}`));
  });

  afterAll(async () => {
    await service?.stop();
  });

  /** What the pipeline attaches to one line: timestamp, labels, structured metadata. */
  const throughPipeline = (fields: Record<string, string>) => {
    const pipeline = promtailPipeline();
    const extracted = Object.fromEntries(pipeline.extract.filter((key) => key in fields).map((key) => [key, fields[key]!]));
    return {
      timestamp: extracted[pipeline.timestamp.source],
      labels: Object.fromEntries(Object.entries(pipeline.labels).map(([label, key]) => [label, extracted[key]])),
      metadata: Object.fromEntries(pipeline.structuredMetadata.filter((key) => key in extracted).map((key) => [key, extracted[key]])),
    };
  };

  it('every line yields a parseable timestamp from this run and a known level, with both decoders', () => {
    const lines = [...service.lines];
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const decoded = parseLogfmt(lines);
    lines.forEach((line, index) => {
      const go = throughPipeline(decoded[index]!);
      const npm = throughPipeline(logfmt.parse(line) as Record<string, string>);
      expect(npm, `npm logfmt and go-logfmt disagree on: ${line}`).toEqual(go);
      expect(go.timestamp, line).toMatch(RFC3339_NANO);
      const time = Date.parse(go.timestamp!);
      expect(time, line).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(time, line).toBeLessThanOrEqual(Date.now());
      expect(LEVELS, line).toContain(go.labels.level);
    });
  });

  it('the access line of a request carries its request_id as structured metadata, not as a label', () => {
    const decoded = parseLogfmt([...service.lines]);
    const access = decoded.find((fields) => fields.msg === 'request' && fields.request_id === requestId);
    expect(access, 'access line of the probe request').toBeDefined();
    const result = throughPipeline(access!);
    expect(result.metadata).toEqual({ request_id: requestId });
    expect(result.labels).toEqual({ level: 'INFO' });
    expect(access).toMatchObject({ path: '/repos/:owner/:name', status_code: '404', user_agent: 'probe "quoted" a=b\\c' });
  });
});
