import { createHash } from 'node:crypto';

/**
 * Plausible repository JSON, derived only from the name and the time: the same name gives
 * the same repository on every machine and every run (a SHA-256 of "owner/name" seeds it),
 * and its stats grow slowly as ticks of `changeEveryMs` pass. Everything that changes is a
 * function of one step count, so the body — and its ETag — changes only when a step does,
 * and some repositories stay unchanged across several ticks (as real ones do).
 */
export interface DriftOptions {
  /** When the fake started: tick 0. */
  epoch: number;
  /** Length of a tick in simulated milliseconds; 0 freezes the stats. */
  changeEveryMs: number;
  now: number;
  /** Changes forced through the control API, and the time of the latest one. */
  forced: { count: number; at: number | null };
}

const LANGUAGES = ['TypeScript', 'JavaScript', 'Go', 'Rust', 'Python', 'Java', 'C', 'C++', 'Ruby', 'Zig', null];
const ADJECTIVES = ['fast', 'small', 'typed', 'reliable', 'minimal', 'friendly', 'portable', 'experimental'];
const NOUNS = ['web framework', 'CLI toolkit', 'database driver', 'test runner', 'build tool', 'HTTP client', 'parser', 'scheduler'];
const DAY = 86_400_000;

interface Seed {
  id: number;
  ownerId: number;
  baseStars: number;
  /** Stars gained per tick, 0.05–1: slow repositories change only every few ticks. */
  growth: number;
  forkRatio: number;
  baseIssues: number;
  language: string | null;
  description: string | null;
  defaultBranch: string;
  archived: boolean;
  organization: boolean;
  ageDays: number;
  quietDays: number;
}

function seedOf(owner: string, name: string): Seed {
  const hash = createHash('sha256').update(`${owner}/${name}`.toLowerCase()).digest();
  const u32 = (offset: number) => hash.readUInt32BE(offset);
  const unit = (offset: number) => u32(offset) / 2 ** 32;
  const pick = <T>(list: readonly T[], offset: number) => list[u32(offset) % list.length] as T;
  // Log-uniform: most repositories are small, a few are huge, as on GitHub.
  const baseStars = Math.floor(Math.exp(unit(4) * Math.log(250_000))) - 1;
  return {
    id: 1_000_000 + (u32(0) % 900_000_000),
    ownerId: 10_000 + (u32(28) % 90_000_000),
    baseStars,
    growth: 0.05 + unit(8) * 0.95,
    forkRatio: 0.04 + unit(12) * 0.2,
    baseIssues: Math.floor(baseStars * 0.004) + (u32(16) % 25),
    language: pick(LANGUAGES, 20),
    description: hash[24]! % 10 === 0 ? null : `A ${pick(ADJECTIVES, 25)} ${pick(NOUNS, 26)}`,
    defaultBranch: hash[27]! % 4 === 0 ? 'master' : 'main',
    archived: hash[30]! % 40 === 0,
    organization: hash[31]! % 2 === 0,
    ageDays: 60 + (u32(20) % 3000),
    quietDays: 1 + (hash[29]! % 30),
  };
}

/** The GitHub JSON for `GET /repos/{owner}/{repo}`: the fields clients read, plus a few for realism. */
export function repositoryJson(owner: string, name: string, drift: DriftOptions): Record<string, unknown> {
  const seed = seedOf(owner, name);
  const ticks = drift.changeEveryMs > 0 ? Math.max(0, Math.floor((drift.now - drift.epoch) / drift.changeEveryMs)) : 0;
  const timeSteps = Math.floor(ticks * seed.growth);
  const steps = timeSteps + drift.forced.count;
  const stars = seed.baseStars + steps;
  const openIssues = seed.baseIssues + (steps % 7);
  // The tick at which the latest time-driven step happened: the first k with k * growth >= steps.
  const changedAt =
    timeSteps > 0
      ? drift.epoch + Math.min(ticks, Math.ceil(timeSteps / seed.growth)) * drift.changeEveryMs
      : drift.epoch - seed.quietDays * DAY;
  const pushedAt = Math.max(changedAt, drift.forced.at ?? -Infinity);
  const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    id: seed.id,
    node_id: `R_kgDO${seed.id.toString(36).toUpperCase()}`,
    name,
    full_name: `${owner}/${name}`,
    private: false,
    owner: {
      login: owner,
      id: seed.ownerId,
      type: seed.organization ? 'Organization' : 'User',
      html_url: `https://github.com/${owner}`,
    },
    html_url: `https://github.com/${owner}/${name}`,
    description: seed.description,
    fork: false,
    url: `https://api.github.com/repos/${owner}/${name}`,
    created_at: iso(drift.epoch - seed.ageDays * DAY),
    updated_at: iso(pushedAt),
    pushed_at: iso(pushedAt),
    homepage: null,
    size: 100 + seed.baseStars * 3,
    stargazers_count: stars,
    // GitHub's quirk: watchers_count mirrors stars; subscribers_count is the real watcher count.
    watchers_count: stars,
    language: seed.language,
    forks_count: Math.floor(stars * seed.forkRatio),
    archived: seed.archived,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    topics: [],
    visibility: 'public',
    forks: Math.floor(stars * seed.forkRatio),
    open_issues: openIssues,
    watchers: stars,
    default_branch: seed.defaultBranch,
    network_count: Math.floor(stars * seed.forkRatio),
    subscribers_count: 1 + Math.floor(stars * 0.03),
  };
}

/** A strong ETag over the exact body bytes: equal bodies, equal tags. */
export const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('hex').slice(0, 40)}"`;

/** If-None-Match matching as RFC 9110 asks for it: a list, weak comparison, or `*`. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/** GitHub's rules for owner and repository names; anything else is a 404 there too. */
export const validName = (owner: string, name: string) =>
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(owner) && /^[A-Za-z0-9._-]{1,100}$/.test(name) && name !== '.' && name !== '..';
