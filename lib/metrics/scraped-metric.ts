import type { Metric, Registry, RegistryContentType } from 'prom-client';
import type { Sample } from './bucket-counts.ts';

/**
 * Hands prom-client's registry a metric whose samples are built when scraped, from counts
 * kept in plain numbers and arrays. The registry renders any object with name, help, type
 * and get() or getForPromString() (its own metric classes are such objects), in both
 * exposition formats, exemplars included.
 */
export function registerScraped(
  registry: Registry<RegistryContentType>,
  name: string,
  type: 'counter' | 'gauge' | 'histogram',
  help: string,
  collect: (into: Sample[]) => void,
): void {
  const scrape = () => {
    const values: Sample[] = [];
    collect(values);
    return { name: metric.name, help, type, aggregator: 'sum', values };
  };
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    // What the registry renders from (as it does for its own histograms): series labels shared.
    getForPromString: async () => scrape(),
    // The same samples with all their labels on each, as prom-client's get() gives them.
    async get() {
      const data = scrape();
      return { ...data, values: data.values.map(({ sharedLabels, ...sample }) => ({ ...sample, labels: { ...sample.labels, ...sharedLabels } })) };
    },
    reset() {},
  };
  registry.registerMetric(metric as unknown as Metric);
}
