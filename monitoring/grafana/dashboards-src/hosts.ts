import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, prom, timeseries, withThresholdLine } from './common.ts';

/**
 * The swarm's nodes (node-exporter) and the stack's containers (cAdvisor), both global
 * services in stack.yml: is a disk filling up, is a container throttled by its CPU limit or
 * near its memory limit, is a task restarting. Prometheus labels node-exporter's series
 * with the `node` they come from, and cAdvisor's with the swarm `service` and `task`
 * (service.slot) of each container (prometheus.yml); containers outside a swarm service
 * have no `service` and are left out.
 */
const SERVICE = 'service';
const stackContainers = 'service!=""';
// Real disks only, as the DiskFilling alerts read them: not the in-memory and image file systems.
const disks = 'fstype!~"tmpfs|ramfs|overlay|squashfs"';

export function hostsDashboard(): Dashboard {
  return dashboard('repo-monitor-hosts', 'repo-monitor / Hosts and containers', 'Disk space of the nodes that hold the data volumes; CPU throttling, memory and restarts of the stack\'s containers.')
    .withRow(new RowBuilder('Disks'))
    .withPanel(
      withThresholdLine(
        timeseries('Disk space used', 'percentunit', 'Per node and file system. The data volumes (MongoDB, Prometheus, Loki, Grafana) live on the file system holding Docker\'s data directory, usually /. Dashed at 85%: the DiskFilling alerts fire when it also fills within a day.')
          .withTarget(prom(`1 - node_filesystem_avail_bytes{${disks}} / node_filesystem_size_bytes{${disks}}`, '{{node}} {{mountpoint}}'))
          .min(0)
          .max(1)
          .span(12),
        0.85,
      ),
    )
    .withPanel(
      timeseries('Free space in 24 hours, at the last 6 hours\' pace', 'bytes', 'Below 0: the file system fills up within a day unless something changes.')
        .withTarget(prom(`predict_linear(node_filesystem_avail_bytes{${disks}}[6h], 86400)`, '{{node}} {{mountpoint}}'))
        .span(12),
    )
    .withRow(new RowBuilder('Containers'))
    .withPanel(
      withThresholdLine(
        timeseries('CPU throttling', 'percentunit', 'Share of CPU scheduling periods in which the container hit its CPU limit and had to wait: latency the process cannot see in its own metrics. Dashed at 25%.')
          .withTarget(
            prom(
              `sum by (${SERVICE}) (rate(container_cpu_cfs_throttled_periods_total{${stackContainers}}[$__rate_interval])) / sum by (${SERVICE}) (rate(container_cpu_cfs_periods_total{${stackContainers}}[$__rate_interval]))`,
              `{{${SERVICE}}}`,
            ),
          )
          .min(0)
          .span(12),
        0.25,
      ),
    )
    .withPanel(
      timeseries('CPU by service', 'short', 'Cores in use, summed over each service\'s containers.')
        .withTarget(prom(`sum by (${SERVICE}) (rate(container_cpu_usage_seconds_total{${stackContainers}}[$__rate_interval]))`, `{{${SERVICE}}}`))
        .min(0)
        .span(12),
    )
    .withPanel(
      withThresholdLine(
        timeseries('Memory against the limit', 'percentunit', 'Working set (what the kernel counts toward the limit) over the container\'s memory limit, per container with a limit. At 100% it is killed (OOM). Dashed at 90%.')
          .withTarget(
            prom(
              `container_memory_working_set_bytes{${stackContainers}} / (container_spec_memory_limit_bytes{${stackContainers}} > 0)`,
              '{{task}}',
            ),
          )
          .min(0)
          .span(12),
        0.9,
      ),
    )
    .withPanel(
      timeseries('Memory by service', 'bytes', 'Working set summed over each service\'s containers.')
        .withTarget(prom(`sum by (${SERVICE}) (container_memory_working_set_bytes{${stackContainers}})`, `{{${SERVICE}}}`))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Containers started in the last 15 minutes', 'short', 'Per service. A swarm task that exits is replaced by a new container: a service that keeps starting containers is crash-looping (or being deployed).')
        .withTarget(
          prom(
            `count by (${SERVICE}) (time() - container_start_time_seconds{${stackContainers}} < 900) or 0 * count by (${SERVICE}) (container_start_time_seconds{${stackContainers}})`,
            `{{${SERVICE}}}`,
          ),
        )
        .min(0)
        .span(24)
        .height(6),
    )
    .build();
}
