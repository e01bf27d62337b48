import { describe, expect, it } from 'vitest';
import { buildGoTool } from '../../scripts/lib/go-tool.ts';
import { resolveStack } from '../monitoring/helpers.ts';
import { adaptCaddyfile, upstreamsOf } from './caddy-loopback.ts';

/**
 * The secured edge as stack.yml deploys it, read the way Docker resolves it (compose-go,
 * tools/stack-config): one way in, every network encrypted, and X-Forwarded-For
 * believed only from the proxy.
 */

const networksOf = (service: any): string[] => (Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {}));

describe('the edge in stack.yml', () => {
  it('publishes nothing but the proxy (and the demo fake GitHub), on host ports so client addresses survive', () => {
    const stack = resolveStack(['stack.yml', 'stack.demo.yml']);
    const published = Object.entries<any>(stack.services).filter(([, service]) => service.ports?.length).map(([name]) => name);
    expect(published.sort()).toEqual(['caddy', 'fake-github']);
    for (const port of stack.services.caddy.ports) expect(port, JSON.stringify(port)).toMatchObject({ mode: 'host' });
    expect(stack.services.caddy.ports.map((port: any) => `${port.published}/${port.protocol}`)).toEqual(['80/tcp', '443/tcp', '443/udp']);
  });

  it('encrypts every overlay network', () => {
    for (const files of [['stack.yml'], ['stack.yml', 'stack.demo.yml'], ['stack.yml', 'stack.alloy.yml']]) {
      for (const [name, network] of Object.entries<any>(resolveStack(files).networks)) {
        expect(network.driver, name).toBe('overlay');
        expect(network.driver_opts?.encrypted, `${files.join('+')}: ${name}`).toBe('true');
      }
    }
  });

  it('lets the api trust X-Forwarded-For from the one network it shares with the proxy, and from nothing else', () => {
    const { services, networks } = resolveStack(['stack.yml', 'stack.demo.yml'], { EDGE_SUBNET: '10.99.7.0/24' });
    const shared = networksOf(services.caddy).filter((name) => networksOf(services.api).includes(name));
    expect(shared).toEqual(['edge']);
    expect(networks.edge.ipam.config).toEqual([{ subnet: '10.99.7.0/24' }]);
    expect(services.api.environment.TRUSTED_PROXIES).toBe('10.99.7.0/24');
    const onEdge = Object.entries<any>(services).filter(([, service]) => networksOf(service).includes('edge')).map(([name]) => name);
    expect(onEdge.sort()).toEqual(['api', 'caddy']);
  });

  it('can reach every upstream the Caddyfile names, on a network it shares with that service', () => {
    const { services } = resolveStack(['stack.yml']);
    const caddy = buildGoTool('caddy', (line) => process.stderr.write(`${line}\n`));
    const upstreams = upstreamsOf(adaptCaddyfile(caddy, {}));
    expect(upstreams.sort()).toEqual(['alertmanager:9093', 'api:3000', 'grafana:3000', 'prometheus:9090']);
    for (const upstream of upstreams) {
      const service = upstream.split(':')[0]!;
      expect(services[service], upstream).toBeDefined();
      expect(networksOf(services[service]).filter((name) => networksOf(services.caddy).includes(name)), upstream).not.toEqual([]);
    }
  });

  it('names the sites from EDGE_DOMAIN, chooses the certificates from EDGE_TLS, and links the UIs to their public URLs', () => {
    const defaults = resolveStack(['stack.yml']).services;
    expect(defaults.caddy.environment).toMatchObject({ EDGE_API_HOST: 'api.localhost', EDGE_TLS: 'internal', EDGE_AUTH_USER: 'admin' });
    const { caddy, prometheus, alertmanager, grafana } = resolveStack(['stack.yml'], { EDGE_DOMAIN: 'example.org', EDGE_TLS: 'ops@example.org' }).services;
    expect(caddy.environment).toMatchObject({
      EDGE_API_HOST: 'api.example.org',
      EDGE_GRAFANA_HOST: 'grafana.example.org',
      EDGE_PROMETHEUS_HOST: 'prometheus.example.org',
      EDGE_ALERTMANAGER_HOST: 'alertmanager.example.org',
      EDGE_TLS: 'ops@example.org',
    });
    expect(prometheus.command).toContain('--web.external-url=https://prometheus.example.org/');
    expect(alertmanager.command).toContain('--web.external-url=https://alertmanager.example.org/');
    expect(grafana.environment.GF_SERVER_ROOT_URL).toBe('https://grafana.example.org/');
  });

  it('keeps the proxy on the labelled edge node, stopping the old task before the new one takes the ports', () => {
    const { caddy } = resolveStack(['stack.yml']).services;
    expect(caddy.deploy.placement.constraints).toEqual(['node.labels.repo-monitor.edge == true']);
    expect(caddy.deploy.update_config.order).toBe('stop-first');
    expect(caddy.secrets.map((secret: any) => secret.source)).toEqual(['edge_auth_hash']);
    expect(caddy.volumes.map((volume: any) => volume.target)).toEqual(['/data', '/config']);
  });
});
