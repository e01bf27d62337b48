import { type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, labelValuesVariable, prom, timeseries, withThresholdLine } from './common.ts';

/**
 * The Node.js processes behind api and scheduler, one line per replica (prom-client's
 * default metrics). app_build_info is exported only by this project's processes, so its
 * label values list exactly the replicas worth showing.
 */
const selector = 'job=~"$job", instance=~"$instance"';

export function runtimeDashboard(): Dashboard {
  return dashboard('repo-monitor-runtime', 'repo-monitor / Runtime', 'CPU, memory, event loop and garbage collection per replica.')
    .withVariable(labelValuesVariable('job', 'Service', 'app_build_info'))
    .withVariable(labelValuesVariable('instance', 'Replica', 'app_build_info{job=~"$job"}'))
    .withPanel(
      timeseries('CPU', 'percentunit', 'CPU time per second: 100% is one core busy.')
        .withTarget(prom(`rate(process_cpu_seconds_total{${selector}}[$__rate_interval])`, '{{job}} {{instance}}'))
        .min(0)
        .span(12),
    )
    .withPanel(
      withThresholdLine(
        timeseries('Memory', 'bytes', 'Resident set (what the 512 MiB limit counts; dashed at 90%) and V8 heap in use.')
          .withTarget(prom(`process_resident_memory_bytes{${selector}}`, 'rss {{job}} {{instance}}', 'A'))
          .withTarget(prom(`nodejs_heap_size_used_bytes{${selector}}`, 'heap {{job}} {{instance}}', 'B'))
          .min(0)
          .span(12),
        0.9 * 512 * 1024 * 1024,
      ),
    )
    .withPanel(
      withThresholdLine(
        timeseries('Event-loop lag p99', 's', 'How late timers fire: every request of the process waits this long. Dashed: the EventLoopLag threshold.')
          .withTarget(prom(`nodejs_eventloop_lag_p99_seconds{${selector}}`, '{{job}} {{instance}}'))
          .min(0)
          .span(12),
        0.2,
      ),
    )
    .withPanel(
      timeseries('Time in GC', 'percentunit', 'Share of wall time spent in garbage collection, by GC kind.')
        .withTarget(prom(`sum by (job, instance, kind) (rate(nodejs_gc_duration_seconds_sum{${selector}}[$__rate_interval]))`, '{{kind}} {{job}} {{instance}}'))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('GC runs', 'short', 'Collections per second, by GC kind.')
        .withTarget(prom(`sum by (job, instance, kind) (rate(nodejs_gc_duration_seconds_count{${selector}}[$__rate_interval]))`, '{{kind}} {{job}} {{instance}}'))
        .min(0)
        .span(24)
        .height(6),
    )
    .build();
}
