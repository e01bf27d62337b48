import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readText, readYaml, resolveStack } from './helpers.ts';

/**
 * What the stack files give the monitoring, as Docker resolves them (tools/stack-config): task
 * identity, the services Prometheus scrapes, the exporters on every node, the alert secrets
 * and the demo's alert sink.
 */

/** Services Prometheus scrapes: job name -> the service's definition. */
const scraped = (stack: any): Record<string, any> =>
  Object.fromEntries(
    Object.entries(stack.services as Record<string, any>)
      .filter(([, service]) => service.deploy?.labels?.['prometheus.job'])
      .map(([name, service]) => [service.deploy.labels['prometheus.job'], { name, ...service }]),
  );

describe('the stack for its monitoring', () => {
  it('names each api and scheduler task by service and slot, through SERVICE_INSTANCE', () => {
    const { api, scheduler } = resolveStack(['stack.yml']).services;
    for (const service of [api, scheduler]) expect(service.environment.SERVICE_INSTANCE).toBe('{{.Service.Name}}.{{.Task.Slot}}');
  });

  it('labels for scraping the app, Promtail, node-exporter and cAdvisor (Alloy in its overlay), each on the monitoring network', () => {
    const plain = scraped(resolveStack(['stack.yml']));
    expect(Object.keys(plain).sort()).toEqual(['api', 'caddy', 'cadvisor', 'node-exporter', 'promtail', 'scheduler']);
    // caddy alone is scraped on edge-monitoring (its own job in prometheus.yml): on
    // monitoring it would share a second network with the api (test/edge/stack-edge.test.ts).
    expect(plain.caddy.networks).toHaveProperty('edge-monitoring');
    expect(plain.caddy.networks).not.toHaveProperty('monitoring');
    const { caddy: _edge, ...withAlloy } = scraped(resolveStack(['stack.yml', 'stack.alloy.yml']));
    expect(withAlloy.alloy.deploy.labels['prometheus.port']).toBe(/:(\d+)$/.exec(withAlloy.alloy.command.find((arg: string) => arg.startsWith('--server.http.listen-addr=')))?.[1]);
    for (const [job, service] of Object.entries(withAlloy)) {
      expect(service.networks, job).toHaveProperty('monitoring');
      expect(service.deploy.labels['prometheus.port'], job).toMatch(/^\d+$/);
    }
    const promtail = readYaml('monitoring/promtail/promtail.yml');
    expect(plain.promtail.deploy.labels['prometheus.port']).toBe(String(promtail.server.http_listen_port));
  });

  it('runs node-exporter and cAdvisor on every node, reading the host without writing to it', () => {
    const services = resolveStack(['stack.yml']).services;
    for (const name of ['node-exporter', 'cadvisor']) {
      const service = services[name];
      expect(service.deploy.mode, name).toBe('global');
      expect(service.ports, name).toBeUndefined();
      for (const volume of service.volumes) expect(volume.read_only, `${name} ${volume.source}`).toBe(true);
    }
    expect(services['node-exporter'].command).toContain('--path.rootfs=/host');
    expect(services.cadvisor.command).toContain('--whitelisted_container_labels=com.docker.swarm.service.name,com.docker.swarm.task.name');
  });

  it('lets Prometheus read a manager\'s task list, read-only', () => {
    const { prometheus } = resolveStack(['stack.yml']).services;
    expect(prometheus.volumes).toContainEqual(expect.objectContaining({ type: 'bind', source: '/var/run/docker.sock', read_only: true }));
    expect(prometheus.deploy.placement.constraints).toContain('node.role == manager');
  });

  it('in the demo, points every alert secret at the alert sink, which logs on the monitoring network', () => {
    const stack = resolveStack(['stack.yml', 'stack.demo.yml']);
    const sink = stack.services['alert-sink'];
    expect(sink.networks).toHaveProperty('monitoring');
    expect(sink.environment.ALERT_SINK_PORT).toBe('8080');
    const script = sink.configs.find((config: any) => config.target === sink.command[1]);
    expect(stack.configs[script.source].file).toMatch(/monitoring\/alertmanager\/webhook-sink\.ts$/);
    for (const { source } of stack.services.alertmanager.secrets) {
      const file = stack.secrets[source].file as string;
      expect(existsSync(file), source).toBe(true);
      expect(readFileSync(file, 'utf8').trim(), source).toMatch(/^http:\/\/alert-sink:8080\/(oncall|tickets|deadmansswitch)$/);
    }
  });

  it('has Promtail and Alloy label each line with the replica, its task id cut off (bounded by replicas)', () => {
    const promtail = readYaml('monitoring/promtail/promtail.yml').scrape_configs[0].relabel_configs;
    const rule = promtail.find((entry: any) => entry.target_label === 'task');
    expect(rule.source_labels).toEqual(['__meta_docker_container_label_com_docker_swarm_task_name']);
    const alloy = /source_labels = \["__meta_docker_container_label_com_docker_swarm_task_name"\]\s+regex\s+= "((?:[^"\\]|\\.)*)"\s+target_label\s+= "task"/.exec(
      readText('monitoring/alloy/config.alloy'),
    );
    expect(JSON.parse(`"${alloy?.[1]}"`)).toBe(rule.regex);
    // Both anchor the expression at both ends and keep the first group.
    const task = (name: string) => new RegExp(`^(?:${rule.regex})$`).exec(name)?.[1];
    expect(task('repo-monitor_api.2.q1w2e3r4t5y6u7i8o9p0')).toBe('repo-monitor_api.2');
    expect(task('repo-monitor_promtail.n0d3id.q1w2e3r4t5y6')).toBe('repo-monitor_promtail.n0d3id');
  });
});
