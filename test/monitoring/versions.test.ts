import { describe, expect, it } from 'vitest';
import { monitoringToolVersions } from '../../scripts/lib/monitoring-tools.ts';
import { readYaml, run, type ToolName } from './helpers.ts';

/**
 * The suite tests the Prometheus and Alertmanager the stack deploys: the versions
 * tools/prometheus/go.mod and tools/alertmanager/go.mod build must be the image tags
 * stack.yml pins, and the built binaries must say so.
 */
const versions = monitoringToolVersions();
const imageTag = (service: string) => (readYaml('stack.yml').services[service].image as string).split(':').pop();

describe('the monitoring tools the suite builds', () => {
  it('are the versions of the images stack.yml deploys', () => {
    expect({ prometheus: imageTag('prometheus'), alertmanager: imageTag('alertmanager') }).toEqual({
      prometheus: `v${versions.prometheus}`,
      alertmanager: `v${versions.alertmanager}`,
    });
  });

  it.each<[ToolName, string]>([
    ['prometheus', versions.prometheus],
    ['promtool', versions.prometheus],
    ['alertmanager', versions.alertmanager],
    ['amtool', versions.alertmanager],
  ])('%s reports version %s', (tool, version) => {
    const result = run(tool, ['--version']);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(new RegExp(`^${tool}, version ${version.replaceAll('.', '\\.')} `));
  });
});
