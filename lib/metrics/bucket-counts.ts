/**
 * One histogram series: observations counted per bucket, plus their sum, with the latest
 * exemplar per bucket when asked for. Plain arrays and numbers, so an observation allocates
 * nothing; the cumulative `le` samples Prometheus wants are built only when scraped.
 */
export interface Exemplar {
  labelSet: Record<string, string>;
  value: number;
  /** Seconds since the epoch, as OpenMetrics writes it. */
  timestamp: number;
}

export interface Sample {
  /** The sample's own name (http_x_bucket); a counter's is left out, the registry writes it per format. */
  metricName?: string;
  /** The sample's own labels (le); the series' labels go in sharedLabels. */
  labels: Record<string, string | number>;
  /** The same object for every sample of a series: prom-client formats it once per scrape. */
  sharedLabels: Record<string, string | number>;
  value: number;
  exemplar?: Exemplar;
}

const NO_LABELS = {};

export class BucketCounts {
  readonly #bounds: readonly number[];
  /** `{ le }` per bucket, +Inf last: the same objects in every scrape. */
  readonly #leLabels: readonly { le: number | string }[];
  /** Per bucket, not cumulative; the last one is +Inf. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;
  readonly #exemplarLabel: string | undefined;
  #exemplarIds: string[] | undefined;
  #exemplarValues: Float64Array | undefined;
  #exemplarTimes: Float64Array | undefined;

  /** With `exemplarLabel` (e.g. request_id), each bucket keeps its latest observation's id. */
  constructor(bounds: readonly number[], exemplarLabel?: string) {
    this.#bounds = bounds;
    this.#leLabels = [...bounds.map((le) => ({ le })), { le: '+Inf' }];
    this.#counts = new Float64Array(bounds.length + 1);
    this.#exemplarLabel = exemplarLabel;
    if (exemplarLabel) {
      this.#exemplarIds = Array.from({ length: bounds.length + 1 }, () => '');
      this.#exemplarValues = new Float64Array(bounds.length + 1);
      this.#exemplarTimes = new Float64Array(bounds.length + 1);
    }
  }

  get count(): number {
    return this.#count;
  }

  observe(value: number, exemplarId?: string): void {
    let bucket = 0;
    while (bucket < this.#bounds.length && value > this.#bounds[bucket]!) bucket++;
    this.#counts[bucket]!++;
    this.#sum += value;
    this.#count++;
    if (exemplarId !== undefined && this.#exemplarIds) {
      this.#exemplarIds[bucket] = exemplarId;
      this.#exemplarValues![bucket] = value;
      this.#exemplarTimes![bucket] = Date.now() / 1000;
    }
  }

  /** The series as Prometheus samples: cumulative `_bucket`s (le), `_sum`, `_count`. */
  samples(name: string, labels: Record<string, string | number>, into: Sample[]): void {
    let cumulative = 0;
    for (let bucket = 0; bucket <= this.#bounds.length; bucket++) {
      cumulative += this.#counts[bucket]!;
      const sample: Sample = { metricName: `${name}_bucket`, labels: this.#leLabels[bucket]!, sharedLabels: labels, value: cumulative };
      const exemplarId = this.#exemplarIds?.[bucket];
      if (exemplarId) {
        sample.exemplar = {
          labelSet: { [this.#exemplarLabel!]: exemplarId },
          value: this.#exemplarValues![bucket]!,
          timestamp: this.#exemplarTimes![bucket]!,
        };
      }
      into.push(sample);
    }
    into.push({ metricName: `${name}_sum`, labels: NO_LABELS, sharedLabels: labels, value: this.#sum });
    into.push({ metricName: `${name}_count`, labels: NO_LABELS, sharedLabels: labels, value: this.#count });
  }
}
