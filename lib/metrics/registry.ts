import { hostname } from 'node:os';
import { collectDefaultMetrics, Gauge, Registry, type RegistryContentType } from 'prom-client';
import { registerContainerLimits } from './container-limits.ts';
import { HttpMetrics, type HttpMetricsOptions } from './http-metrics.ts';

/**
 * The process's metrics, in a registry of the project's own (never prom-client's global
 * one, so tests and several apps in one process do not collide). `render` negotiates the
 * exposition format: OpenMetrics (with exemplars) when the scraper asks for it, the classic
 * Prometheus text format otherwise.
 */
export interface Metrics {
  registry: AnyRegistry;
  http: HttpMetrics;
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions extends HttpMetricsOptions {
  /** The build's version (lib/metrics/build-info.ts). */
  version: string;
  /** The replica's stable name (SERVICE_INSTANCE); the host name when not given. */
  instance?: string;
  /** Process and Node runtime metrics (CPU, memory, event-loop lag, GC, container limits); on unless a test turns them off. */
  runtime?: boolean;
}

export function createMetrics(options: MetricsOptions): Metrics {
  // Exemplar-enabled metrics can only be created on an OpenMetrics registry; render() switches per scrape.
  const registry = newRegistry(options.exemplars ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  if (options.runtime !== false) {
    collectDefaultMetrics({ register: registry });
    registerContainerLimits(registry);
  }
  new Gauge({
    name: 'app_build_info',
    help: 'Always 1; the labels say which build runs (version, Node) and which replica this is (service_instance).',
    labelNames: ['version', 'node_version', 'service_instance'],
    registers: [registry],
  }).set({ version: options.version, node_version: process.version, service_instance: options.instance ?? hostname() }, 1);

  return { registry, http: new HttpMetrics(registry, options), render: renderer(registry) };
}

export type AnyRegistry = Registry<RegistryContentType>;

// prom-client's typings omit the constructor's content-type argument that its code takes.
const newRegistry = (contentType: RegistryContentType) =>
  new (Registry as unknown as new (type: RegistryContentType) => AnyRegistry)(contentType);

// At run time a metric's type is the string Prometheus writes; the typings say it is an enum.
const isCounter = (metric: { type: unknown }) => metric.type === 'counter';

const wantsOpenMetrics = (accept: string | undefined) => accept !== undefined && accept.includes('application/openmetrics-text');

/**
 * prom-client switches formats per registry and, when it writes OpenMetrics, strips `_total`
 * from counter names in place (the suffix then goes on each sample line). A later classic
 * scrape would show `http_requests` instead of `http_requests_total`. So scrapes run one at
 * a time, and the names are put back after each OpenMetrics one.
 */
function renderer(registry: AnyRegistry) {
  let queue: Promise<unknown> = Promise.resolve();
  return (accept: string | undefined) => {
    const run = async () => {
      const openMetrics = wantsOpenMetrics(accept);
      const contentType = openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
      registry.setContentType(contentType);
      const counters = registry.getMetricsAsArray().filter(isCounter);
      const names = counters.map((metric) => metric.name);
      try {
        return { contentType, body: await registry.metrics() };
      } finally {
        counters.forEach((metric, i) => (metric.name = names[i]!));
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };
}
