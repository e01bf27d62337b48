import { buildGoModule, requiredVersion } from './go-tool.ts';

/**
 * Prometheus, promtool, Alertmanager and amtool at the versions the stack deploys, built from
 * the Go module proxy by tools/prometheus and tools/alertmanager. Their go.mod files are the
 * one place the versions are set; test/monitoring/versions.test.ts fails when the image tags
 * in stack.yml say otherwise.
 */
type Log = (line: string) => void;

const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';
const ALERTMANAGER_MODULE = 'github.com/prometheus/alertmanager';
const VERSION_PACKAGE = 'github.com/prometheus/common/version';

/**
 * The releases the builder modules build. Prometheus 3.x is published as Go module v0.3XY.Z
 * (v0.315.0 is Prometheus 3.15.0); Alertmanager's module versions are its releases.
 */
export function monitoringToolVersions(): { prometheus: string; alertmanager: string } {
  const prometheusModule = requiredVersion('prometheus', PROMETHEUS_MODULE);
  const match = /^v0\.3(\d\d)\.(\d+)$/.exec(prometheusModule);
  if (!match) throw new Error(`tools/prometheus requires ${PROMETHEUS_MODULE} ${prometheusModule}, not a Prometheus 3.x module version (v0.3XY.Z)`);
  return {
    prometheus: `3.${Number(match[1])}.${match[2]}`,
    alertmanager: requiredVersion('alertmanager', ALERTMANAGER_MODULE).replace(/^v/, ''),
  };
}

/** What `--version` prints; without it the binaries report an empty version. */
const versionFlags = (version: string, module: string, dir: string) => [
  `-X ${VERSION_PACKAGE}.Version=${version}`,
  `-X ${VERSION_PACKAGE}.Revision=${module}@${requiredVersion(dir, module)}`,
  `-X ${VERSION_PACKAGE}.BuildUser=repo-monitor`,
];

const COLD = 'the first build on a machine downloads and compiles it (minutes); later runs reuse the binaries';

/** Builds (if needed) and returns the paths of prometheus and promtool. */
export function buildPrometheus(log?: Log): { prometheus: string; promtool: string } {
  const { prometheus: version } = monitoringToolVersions();
  const built = buildGoModule('prometheus', log, {
    ldflags: versionFlags(version, PROMETHEUS_MODULE, 'prometheus'),
    why: `building Prometheus ${version} and promtool from the Go module proxy (tools/prometheus), for the monitoring tests: ${COLD}`,
  });
  return { prometheus: built.prometheus!, promtool: built.promtool! };
}

/** Builds (if needed) and returns the paths of alertmanager and amtool. */
export function buildAlertmanager(log?: Log): { alertmanager: string; amtool: string } {
  const { alertmanager: version } = monitoringToolVersions();
  const built = buildGoModule('alertmanager', log, {
    ldflags: versionFlags(version, ALERTMANAGER_MODULE, 'alertmanager'),
    // Alertmanager embeds its web UI (ui/app/dist), which is built by npm upstream and not
    // part of the Go module: a placeholder page satisfies the embed. The API is unaffected.
    vendorPlaceholders: {
      [`${ALERTMANAGER_MODULE}/ui/app/dist/index.html`]: '<!doctype html><title>Alertmanager</title><p>Built without its web UI; the API is at /api/v2.\n',
    },
    why: `building Alertmanager ${version} and amtool from the Go module proxy (tools/alertmanager), for the monitoring tests: ${COLD}`,
  });
  return { alertmanager: built.alertmanager!, amtool: built.amtool! };
}

/** Builds (if needed) and returns the path of tools/stack-config (`docker stack config` without docker). */
export const buildStackConfig = (log?: Log) =>
  buildGoModule('stack-config', log, { why: `building tools/stack-config (compose-go, validates stack.yml as Docker does): ${COLD}` })['stack-config']!;

/** Every tool the monitoring tests run, built once. */
export function buildMonitoringTools(log?: Log) {
  return { ...buildPrometheus(log), ...buildAlertmanager(log), stackConfig: buildStackConfig(log) };
}
