import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { asStackedBars, dashboard, labelValuesVariable, perReplica as joinReplicaName, prom, timeseries, withThresholdLine } from './common.ts';

/**
 * The Node.js processes behind api and scheduler, one line per replica, named by its stable
 * task name (app_build_info's service_instance: `api.1`, not an overlay IP). Every query is
 * joined with app_build_info on the scrape target, which both names the line and keeps only
 * the selected replicas; app_build_info is exported only by this project's processes.
 */
const replicas = 'job=~"$job", service_instance=~"$replica"';
const perReplica = (expr: string) => joinReplicaName(expr, replicas);
const LEGEND = '{{service_instance}}';

export function runtimeDashboard(): Dashboard {
  return dashboard('repo-monitor-runtime', 'repo-monitor / Runtime', 'CPU and memory against the container limits, event loop, heap, GC, handles and files, per replica.')
    .withVariable(labelValuesVariable('job', 'Service', 'app_build_info'))
    .withVariable(labelValuesVariable('replica', 'Replica', 'app_build_info{job=~"$job"}', 'service_instance'))
    .withRow(new RowBuilder('CPU and memory against the limits'))
    .withPanel(
      withThresholdLine(
        timeseries('CPU against the limit', 'percentunit', 'CPU time per second over the CPUs the container may use (its quota, else the machine\'s CPUs): at 100% the process is throttled or saturates the host.')
          .withTarget(prom(perReplica('rate(process_cpu_seconds_total[$__rate_interval]) / app_cpu_limit_cores'), LEGEND))
          .min(0)
          .span(12),
        0.8,
      ),
    )
    .withPanel(
      withThresholdLine(
        timeseries('Memory against the limit', 'percentunit', 'Resident set over the container\'s memory limit (else the machine\'s memory). Dashed at 90%: MemoryGrowth\'s threshold; at 100% the kernel kills the process.')
          .withTarget(prom(perReplica('process_resident_memory_bytes / app_memory_limit_bytes'), LEGEND))
          .min(0)
          .span(12),
        0.9,
      ),
    )
    .withPanel(
      timeseries('CPU cores', 'short', 'Cores in use (user and system time) beside the limit.')
        .withTarget(prom(perReplica('rate(process_cpu_seconds_total[$__rate_interval])'), `used ${LEGEND}`, 'A'))
        .withTarget(prom(perReplica('app_cpu_limit_cores'), `limit ${LEGEND}`, 'B'))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Memory', 'bytes', 'Resident set, V8 heap in use and memory outside the heap (Buffers), beside the limit.')
        .withTarget(prom(perReplica('process_resident_memory_bytes'), `rss ${LEGEND}`, 'A'))
        .withTarget(prom(perReplica('nodejs_heap_size_used_bytes'), `heap ${LEGEND}`, 'B'))
        .withTarget(prom(perReplica('nodejs_external_memory_bytes'), `external ${LEGEND}`, 'C'))
        .withTarget(prom(perReplica('app_memory_limit_bytes'), `limit ${LEGEND}`, 'D'))
        .min(0)
        .span(12),
    )
    .withRow(new RowBuilder('Event loop and heap'))
    .withPanel(
      withThresholdLine(
        timeseries('Event-loop lag', 's', 'How late timers fire, median and p99: every request of the process waits this long. Dashed: the EventLoopLag threshold.')
          .withTarget(prom(perReplica('nodejs_eventloop_lag_p50_seconds'), `p50 ${LEGEND}`, 'A'))
          .withTarget(prom(perReplica('nodejs_eventloop_lag_p99_seconds'), `p99 ${LEGEND}`, 'B'))
          .min(0)
          .span(12),
        0.2,
      ),
    )
    .withPanel(
      asStackedBars(
        timeseries('Heap by space', 'bytes', 'V8 heap in use per space: a growing "old" space that GC does not bring down is a leak; "new" is short-lived garbage.')
          .withTarget(prom(perReplica('nodejs_heap_space_size_used_bytes'), `{{space}} ${LEGEND}`)),
      )
        .span(12),
    )
    .withPanel(
      timeseries('Time in GC', 'percentunit', 'Share of wall time spent in garbage collection, by GC kind.')
        .withTarget(prom(perReplica('sum by (job, instance, kind) (rate(nodejs_gc_duration_seconds_sum[$__rate_interval]))'), `{{kind}} ${LEGEND}`))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('GC runs', 'short', 'Collections per second, by GC kind.')
        .withTarget(prom(perReplica('sum by (job, instance, kind) (rate(nodejs_gc_duration_seconds_count[$__rate_interval]))'), `{{kind}} ${LEGEND}`))
        .min(0)
        .span(12),
    )
    .withRow(new RowBuilder('Handles, files and restarts'))
    .withPanel(
      timeseries('Active resources by type', 'short', 'What keeps the event loop alive: sockets, timers, file handles. A count that only grows is a leak (sockets not closed, timers not cleared).')
        .withTarget(prom(perReplica('nodejs_active_resources'), `{{type}} ${LEGEND}`, 'A'))
        .withTarget(prom(perReplica('nodejs_active_handles_total'), `handles ${LEGEND}`, 'B'))
        .min(0)
        .span(8),
    )
    .withPanel(
      timeseries('Open file descriptors', 'short', 'Sockets and files open, beside the process\'s limit: at the limit new connections fail (EMFILE).')
        .withTarget(prom(perReplica('process_open_fds'), `open ${LEGEND}`, 'A'))
        .withTarget(prom(perReplica('process_max_fds'), `limit ${LEGEND}`, 'B'))
        .min(0)
        .span(8),
    )
    .withPanel(
      timeseries('Uptime', 's', 'Time since each replica\'s process started: a drop to 0 is a restart (deploy, crash, rescheduled task). Turn on the Restarts annotations at the top to mark them.')
        .withTarget(prom(perReplica('time() - process_start_time_seconds'), LEGEND))
        .min(0)
        .span(8),
    )
    .build();
}
