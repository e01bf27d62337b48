import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a V8 CPU profile (node --cpu-prof) and sums the time spent in the request
 * observation's own code: frames in its source folders, and the Node built-ins and native
 * functions they call directly (a Buffer write, a Map lookup), but not Node's HTTP code they
 * hand on to (ObservedResponse.writeHead calls Node's writeHead, which bare Hono pays too).
 * Unlike CPU time per request over the whole process, this does not move with the cost of
 * socket writes, which on a busy machine swings by more than the observation costs.
 */
const OWN_CODE = /\/(runtime\/observe|lib\/logging|lib\/metrics)\//;
const NODE_HTTP = /^node:(_http|net|internal\/http|internal\/stream|stream)/;

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}

export function observationMilliseconds(profileDir: string): number {
  const file = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile')).sort().at(-1);
  if (!file) return NaN;
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const counts = new Map<number, boolean>();
  const isOwn = (node: ProfileNode): boolean => {
    let cached = counts.get(node.id);
    if (cached !== undefined) return cached;
    const url = node.callFrame.url;
    if (OWN_CODE.test(url)) cached = true;
    else if (url === '' || url.startsWith('node:')) {
      // A built-in or native function counts when our code called it, unless it is Node's HTTP code.
      const caller = parent.get(node.id);
      cached = !NODE_HTTP.test(url) && caller !== undefined && (url === '' ? isOwn(caller) : OWN_CODE.test(caller.callFrame.url));
    } else cached = false;
    counts.set(node.id, cached);
    return cached;
  };
  let microseconds = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (node && node.callFrame.functionName !== '(garbage collector)' && isOwn(node)) microseconds += profile.timeDeltas[i] ?? 0;
  });
  return microseconds / 1000;
}
