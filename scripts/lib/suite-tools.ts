import { buildEmbeddedMongo } from './embedded-mongo.ts';
import { buildGoTool } from './go-tool.ts';
import { buildMonitoringTools } from './monitoring-tools.ts';

type Log = (line: string) => void;

/**
 * Every Go program the test suite runs, each built only when missing or when its sources
 * changed: the embedded database, the Prometheus and logfmt parsers the tests read output
 * with, Prometheus, Alertmanager, their CLIs and the stack validator at the stack's
 * versions, and the edge's Caddy.
 */
export function buildSuiteTools(log: Log = () => {}) {
  const started = Date.now();
  buildEmbeddedMongo(log);
  buildGoTool('promparse', log);
  buildGoTool('logfmtparse', log);
  buildMonitoringTools(log);
  buildGoTool('caddy', log);
  return Date.now() - started;
}
