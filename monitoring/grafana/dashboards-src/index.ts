import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { hostsDashboard } from './hosts.ts';
import { logsDashboard } from './logs.ts';
import { mongodbDashboard } from './mongodb.ts';
import { runtimeDashboard } from './runtime.ts';
import { serviceDashboard } from './service.ts';
import { syncDashboard } from './sync.ts';

/** Every dashboard Grafana provisions. */
export const dashboards: Array<() => Dashboard> = [serviceDashboard, syncDashboard, runtimeDashboard, mongodbDashboard, hostsDashboard, logsDashboard];

/** File name (<uid>.json) to file content, exactly as committed under dashboards/. */
export function renderDashboards(): Map<string, string> {
  const files = new Map<string, string>();
  for (const build of dashboards) {
    const dashboard = build();
    if (!dashboard.uid) throw new Error(`dashboard "${dashboard.title}" has no uid`);
    const file = `${dashboard.uid}.json`;
    if (files.has(file)) throw new Error(`two dashboards share the uid ${dashboard.uid}`);
    files.set(file, `${JSON.stringify(dashboard, null, 2)}\n`);
  }
  return files;
}
