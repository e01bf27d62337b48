import { Counter, Gauge, Histogram, type RegistryContentType, type Registry } from 'prom-client';
import { OVERFLOW, SeriesGuard } from './series-guard.ts';

/**
 * The design's four request metrics plus in-flight requests. Label values are bounded:
 * `path` is a route template (or UNMATCHED), `method` one of the standard methods (or
 * `_OTHER`), `status_code` a number, and a SeriesGuard caps the combinations.
 */
export const UNMATCHED = '__unmatched__';
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
  maxSeries: number;
}

export class HttpMetrics {
  readonly inFlight: Gauge;
  readonly #requests: Counter<'method' | 'path' | 'status_code'>;
  readonly #duration: Histogram<'method' | 'path' | 'status_code'>;
  readonly #requestSize: Histogram<'method' | 'path'>;
  readonly #responseSize: Histogram<'method' | 'path' | 'status_code'>;
  readonly #guard: SeriesGuard;
  readonly #exemplars: boolean;

  constructor(registry: Registry<RegistryContentType>, options: HttpMetricsOptions) {
    const registers = [registry];
    this.#exemplars = options.exemplars;
    this.#guard = new SeriesGuard(options.maxSeries);
    this.#requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code (499: client went away first).',
      labelNames: ['method', 'path', 'status_code'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request reaching the app to the last byte of the response being written.',
      labelNames: ['method', 'path', 'status_code'],
      buckets: SECONDS_BUCKETS,
      enableExemplars: options.exemplars,
      registers,
    });
    this.#requestSize = new Histogram({
      name: 'http_request_size_bytes',
      help: 'Request body bytes received.',
      labelNames: ['method', 'path'],
      buckets: BYTES_BUCKETS,
      registers,
    });
    this.#responseSize = new Histogram({
      name: 'http_response_size_bytes',
      help: 'Response body bytes sent.',
      labelNames: ['method', 'path', 'status_code'],
      buckets: BYTES_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests received and not yet answered.',
      registers,
    });
  }

  record(observation: HttpObservation): void {
    const method = methodLabel(observation.method);
    const status = String(observation.status);
    const path = this.#guard.admit(`${method} ${observation.path} ${status}`) ? observation.path : OVERFLOW;
    const labels = { method, path, status_code: status };
    this.#requests.inc(labels);
    if (this.#exemplars) {
      this.#duration.observe({
        labels,
        value: observation.seconds,
        exemplarLabels: { request_id: observation.requestId },
      } as never);
    } else {
      this.#duration.observe(labels, observation.seconds);
    }
    this.#requestSize.observe({ method, path }, observation.requestBytes);
    this.#responseSize.observe(labels, observation.responseBytes);
  }
}
