import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, labelValuesVariable, perReplica, prom, stat, timeseries, withThresholdLine, zeroFilledRatio } from './common.ts';

/**
 * The database as the service's processes see it, from the driver's monitoring events
 * (mongodb_driver_*): which commands they send and how long those take, and whether the
 * connection pool is the bottleneck (connections in use against the limit, operations
 * waiting for one, check-outs that fail). Lines are per replica, by its task name.
 */
const replicas = 'job=~"$job"';
const commands = 'job=~"$job"';
const LEGEND = '{{service_instance}}';

const commandRate = (by: string, extra = '') =>
  `sum by (${by}) (rate(mongodb_driver_command_duration_seconds_count{${commands}${extra}}[$__rate_interval]))`;

export function mongodbDashboard(): Dashboard {
  return dashboard('repo-monitor-mongodb', 'repo-monitor / MongoDB', 'Database commands and connection pools, as the driver in each replica sees them.')
    .withVariable(labelValuesVariable('job', 'Service', 'mongodb_driver_command_duration_seconds_count'))
    .withPanel(stat('MongoDB reachable', 'bool_yes_no', 'Whether every replica\'s last database ping succeeded (min of mongodb_up).').withTarget(prom(`min(mongodb_up{${commands}})`, 'mongodb_up')))
    .withPanel(stat('Commands per second', 'ops', 'Every command the selected services sent.').withTarget(prom(commandRate('job'), '{{job}}')))
    .withPanel(
      stat('Failed commands', 'percentunit', 'Share of commands that ended in an error (network, timeout or a server error).').withTarget(
        prom(zeroFilledRatio(commandRate('job', ', outcome="failure"'), commandRate('job')), '{{job}}'),
      ),
    )
    .withPanel(
      stat('Operations waiting for a connection', 'short', 'Now, across replicas: above 0 for long means the pool is too small or the database too slow.').withTarget(
        prom(`sum(mongodb_driver_pool_wait_queue_size{${commands}})`, 'waiting'),
      ),
    )
    .withRow(new RowBuilder('Commands'))
    .withPanel(
      timeseries('Commands by command', 'ops', 'Commands per second by name: find, insert, update, aggregate (countDocuments), ping (mongodb_up at each scrape)...')
        .withTarget(prom(commandRate('command'), '{{command}}'))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Command latency p95 by command', 's', 'From sending the command to its reply, network included.')
        .withTarget(
          prom(`histogram_quantile(0.95, sum by (le, command) (rate(mongodb_driver_command_duration_seconds_bucket{${commands}}[$__rate_interval])))`, '{{command}}'),
        )
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Failed commands by command', 'percentunit', 'Share of each command\'s executions that failed (0 when none did).')
        .withTarget(prom(zeroFilledRatio(commandRate('command', ', outcome="failure"'), commandRate('command')), '{{command}}'))
        .min(0)
        .span(24)
        .height(6),
    )
    .withRow(new RowBuilder('Connection pool'))
    .withPanel(
      timeseries('Connections against the pool size', 'short', 'Per replica and server: open connections, those in use by an operation, and the limit (maxPoolSize).')
        .withTarget(prom(perReplica('mongodb_driver_pool_connections', replicas), `open ${LEGEND} {{server}}`, 'A'))
        .withTarget(prom(perReplica('mongodb_driver_pool_checked_out_connections', replicas), `in use ${LEGEND} {{server}}`, 'B'))
        .withTarget(prom(perReplica('mongodb_driver_pool_max_connections', replicas), `limit ${LEGEND} {{server}}`, 'C'))
        .min(0)
        .span(12),
    )
    .withPanel(
      withThresholdLine(
        timeseries('Wait queue', 'short', 'Operations waiting for a free connection, per replica. Waiting past waitQueueTimeoutMS fails the operation (check-out failures below).')
          .withTarget(prom(perReplica('mongodb_driver_pool_wait_queue_size', replicas), `${LEGEND} {{server}}`))
          .min(0)
          .span(12),
        1,
      ),
    )
    .withPanel(
      timeseries('Time to get a connection p95', 's', 'How long operations waited for a connection (whole milliseconds, as the driver measures it).')
        .withTarget(
          prom(
            perReplica('histogram_quantile(0.95, sum by (le, job, instance) (rate(mongodb_driver_pool_checkout_duration_seconds_bucket[$__rate_interval])))', replicas),
            LEGEND,
          ),
        )
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Check-out failures and pool clears', 'short', 'Per second: check-outs that got no connection (timeout: pool exhausted; connectionError: database unreachable; poolClosed: shutting down), and pool clears after a network error.')
        .withTarget(prom(`sum by (reason) (rate(mongodb_driver_pool_checkout_failures_total{${commands}}[$__rate_interval]))`, '{{reason}}', 'A'))
        .withTarget(prom(`sum(rate(mongodb_driver_pool_cleared_total{${commands}}[$__rate_interval]))`, 'pool cleared', 'B'))
        .min(0)
        .span(12),
    )
    .build();
}
