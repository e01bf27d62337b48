import { Gauge, type RegistryContentType, type Registry } from 'prom-client';
import { BucketCounts } from './bucket-counts.ts';
import { registerScraped as register } from './scraped-metric.ts';

/**
 * The design's four request metrics plus in-flight requests. Label values are bounded:
 * `path` is a route template (or UNMATCHED), `method` one of the standard methods (or
 * `_OTHER`), `status_code` a number, and a hard cap on (method, path, status) combinations
 * sends new ones to OVERFLOW once reached, so no client can grow the series count.
 *
 * Requests are counted here, in plain per-series counters, and handed to prom-client's
 * registry only when scraped: prom-client's own Counter and Histogram validate and hash the
 * labels and turn bucket bounds into strings on every observation, which cost more than the
 * rest of the request's bookkeeping together (README, "Performance").
 */
export const UNMATCHED = '__unmatched__';
export const OVERFLOW = '__overflow__';
export const OTHER_METHOD = '_OTHER';

const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
export const methodLabel = (method: string) => (STANDARD_METHODS.has(method) ? method : OTHER_METHOD);

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BYTES_BUCKETS = [64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];

export interface HttpObservation {
  method: string;
  path: string;
  status: number;
  seconds: number;
  requestBytes: number;
  responseBytes: number;
  /** Attached as an exemplar to the duration histogram when exemplars are on. */
  requestId: string;
}

export interface HttpMetricsOptions {
  exemplars: boolean;
  /** The most (method, path, status) combinations recorded before OVERFLOW takes new ones. */
  maxSeries: number;
}

/** Everything recorded for one (method, path, status). */
interface StatusSeries {
  route: RouteSeries;
  labels: { method: string; path: string; status_code: string };
  duration: BucketCounts;
  responseSize: BucketCounts;
}

/** One (method, path): the request size (no status label) and the series per status. */
interface RouteSeries {
  labels: { method: string; path: string };
  requestSize: BucketCounts;
  byStatus: Map<number, StatusSeries>;
}

export class HttpMetrics {
  /** path -> method -> series: route templates and Node's method strings are reused, so no key is built per request. */
  readonly #routes = new Map<string, Map<string, RouteSeries>>();
  readonly #maxSeries: number;
  readonly #exemplarLabel: string | undefined;
  #seriesCount = 0;
  #inFlight = 0;

  constructor(registry: Registry<RegistryContentType>, options: HttpMetricsOptions) {
    this.#maxSeries = options.maxSeries;
    this.#exemplarLabel = options.exemplars ? 'request_id' : undefined;
    const all = () => this.#allStatusSeries();
    register(registry, 'http_requests_total', 'counter',
      'HTTP requests answered, by method, route template and status code (499: client went away first).',
      (into) => all().forEach((series) => into.push({ labels: {}, sharedLabels: series.labels, value: series.duration.count })),
    );
    register(registry, 'http_request_duration_seconds', 'histogram',
      'Time from the request reaching the server to the last byte of the response being written.',
      (into) => all().forEach((series) => series.duration.samples('http_request_duration_seconds', series.labels, into)),
    );
    register(registry, 'http_request_size_bytes', 'histogram', 'Request body bytes received.', (into) => {
      for (const byMethod of this.#routes.values()) {
        for (const route of byMethod.values()) route.requestSize.samples('http_request_size_bytes', route.labels, into);
      }
    });
    register(registry, 'http_response_size_bytes', 'histogram', 'Response body bytes sent.', (into) =>
      all().forEach((series) => series.responseSize.samples('http_response_size_bytes', series.labels, into)),
    );
    // A plain number per request, read into the gauge only when scraped.
    const inFlight = () => this.#inFlight;
    new Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests received and not yet answered.',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    });
  }

  /** A request arrived; `record` says it has been answered. */
  started(): void {
    this.#inFlight++;
  }

  /** A request that `started` has been answered (or its client went away). */
  record(observation: HttpObservation): void {
    this.#inFlight--;
    const method = methodLabel(observation.method);
    const series =
      this.#routes.get(observation.path)?.get(method)?.byStatus.get(observation.status) ??
      this.#addSeries(observation.path, method, observation.status);
    series.route.requestSize.observe(observation.requestBytes);
    series.duration.observe(observation.seconds, this.#exemplarLabel && observation.requestId);
    series.responseSize.observe(observation.responseBytes);
  }

  /** A new (method, path, status), or the OVERFLOW path's once the cap is reached. */
  #addSeries(path: string, method: string, status: number): StatusSeries {
    const labelPath = this.#seriesCount < this.#maxSeries ? path : OVERFLOW;
    let byMethod = this.#routes.get(labelPath);
    if (!byMethod) this.#routes.set(labelPath, (byMethod = new Map()));
    let route = byMethod.get(method);
    if (!route) {
      route = { labels: { method, path: labelPath }, requestSize: new BucketCounts(BYTES_BUCKETS), byStatus: new Map() };
      byMethod.set(method, route);
    }
    let series = route.byStatus.get(status);
    if (!series) {
      series = {
        route,
        labels: { ...route.labels, status_code: String(status) },
        duration: new BucketCounts(SECONDS_BUCKETS, this.#exemplarLabel),
        responseSize: new BucketCounts(BYTES_BUCKETS),
      };
      route.byStatus.set(status, series);
      this.#seriesCount++;
    }
    return series;
  }

  #allStatusSeries(): StatusSeries[] {
    const all: StatusSeries[] = [];
    for (const byMethod of this.#routes.values()) {
      for (const route of byMethod.values()) all.push(...route.byStatus.values());
    }
    return all;
  }
}
