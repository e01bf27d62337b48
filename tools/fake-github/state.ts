import type { Now } from './clock.ts';
import { FaultSet, seededRandom, type ActiveFault, type FaultInput } from './faults.ts';
import { RateLimiter } from './rate-limit.ts';

/**
 * Everything the fake remembers — settings, faults, per-repository overrides, forced
 * changes, counters — and `FakeControl`, the one API that changes it. The HTTP control
 * routes (/_control) and the programmatic handle both call FakeControl, so tests and
 * people at a terminal break the fake the same way.
 */
export interface FakeSettings {
  /** Requests per window without a token. */
  limit: number;
  /** Requests per window with `Authorization: Bearer|token <anything>`. */
  authenticatedLimit: number;
  windowSeconds: number;
  /** Simulated seconds per tick of stats drift; 0 freezes the stats. */
  changeEverySeconds: number;
  /** GitHub answers an exhausted limit with 403 (usually) or 429. */
  exhaustedStatus: 403 | 429;
}

export interface FakeGitHubOptions extends Partial<FakeSettings> {
  /** The fake's clock in epoch ms (default Date.now); see clock.ts for scaled and manual ones. */
  now?: Now;
  /** Seeds the random draws of `fraction` faults. */
  seed?: number;
  /** Repositories that answer 404 (missing) or 410 (gone), by "owner/name". */
  repos?: Record<string, 404 | 410>;
}

export const DEFAULT_SETTINGS: FakeSettings = {
  limit: 60,
  authenticatedLimit: 5000,
  windowSeconds: 3600,
  changeEverySeconds: 60,
  exhaustedStatus: 403,
};

export interface FakeStats {
  /** Requests to the GitHub routes (control requests are not counted). */
  requests: number;
  /**
   * Answers by status code; "reset" counts connections the fake destroyed without an answer,
   * "abandoned" delayed answers whose client left first (its timeout fired).
   */
  byStatus: Record<string, number>;
  /** Answers replaced or delayed by a fault. */
  faulted: number;
  rateLimit: {
    /** The most requests one identity sent in one window that count against its limit. */
    maxPerWindow: number;
    /** Requests refused because the limit was exhausted. */
    refused: number;
  };
}

export interface FakeControl {
  /** Adds a fault (see faults.ts for the shapes); throws a ZodError on a bad one. */
  addFault(fault: FaultInput): ActiveFault;
  removeFault(id: number): boolean;
  clearFaults(): void;
  faults(): ActiveFault[];
  /** Changes settings on the fly; rate-limit windows already open keep their start. */
  configure(patch: Partial<FakeSettings>): FakeSettings;
  settings(): FakeSettings;
  /** Spends every identity's limit now: the next requests get 403 (or 429) until their reset. */
  exhaust(): void;
  /** Makes "owner/name" answer 404 or 410, or normally again with 200. */
  setRepoStatus(fullName: string, status: 200 | 404 | 410): void;
  /** Changes one repository's stats now, or every repository's without a name. */
  forceChange(fullName?: string): void;
  stats(): FakeStats;
  /** Back to the start: no faults, counters zero, windows closed, overrides and forced changes undone. */
  reset(): void;
}

export class FakeGitHubState implements FakeControl {
  readonly now: Now;
  /** Tick 0 of the stats drift. */
  readonly epoch: number;
  readonly limiter: RateLimiter;
  readonly faultSet: FaultSet;
  #settings: FakeSettings;
  readonly #initialRepos: Map<string, 404 | 410>;
  #repoStatus: Map<string, 404 | 410>;
  #forced = new Map<string, { count: number; at: number }>();
  #forcedAll = { count: 0, at: null as number | null };
  #stats: FakeStats = emptyStats();

  constructor(options: FakeGitHubOptions = {}) {
    this.now = options.now ?? Date.now;
    this.epoch = this.now();
    this.#settings = validSettings({ ...DEFAULT_SETTINGS, ...definedOnly(options) });
    this.limiter = new RateLimiter(this.#limiterSettings());
    this.faultSet = new FaultSet(seededRandom(options.seed ?? 1));
    this.#initialRepos = new Map(Object.entries(options.repos ?? {}).map(([name, status]) => [name.toLowerCase(), status]));
    this.#repoStatus = new Map(this.#initialRepos);
  }

  // --- read by the GitHub routes ---

  repoStatus(key: string): 200 | 404 | 410 {
    return this.#repoStatus.get(key) ?? 200;
  }

  /** Forced changes for one repository, merged with those forced on all. */
  forcedFor(key: string): { count: number; at: number | null } {
    const own = this.#forced.get(key);
    const all = this.#forcedAll;
    if (!own) return { ...all };
    return { count: own.count + all.count, at: Math.max(own.at, all.at ?? -Infinity) };
  }

  countRequest(): void {
    this.#stats.requests++;
  }

  countAnswer(status: number | 'reset' | 'abandoned', faulted: boolean): void {
    this.#stats.byStatus[status] = (this.#stats.byStatus[status] ?? 0) + 1;
    if (faulted) this.#stats.faulted++;
  }

  // --- FakeControl ---

  addFault(fault: FaultInput): ActiveFault {
    return this.faultSet.add(fault);
  }

  removeFault(id: number): boolean {
    return this.faultSet.remove(id);
  }

  clearFaults(): void {
    this.faultSet.clear();
  }

  faults(): ActiveFault[] {
    return this.faultSet.list();
  }

  configure(patch: Partial<FakeSettings>): FakeSettings {
    this.#settings = validSettings({ ...this.#settings, ...definedOnly(patch) });
    this.limiter.settings = this.#limiterSettings();
    return this.settings();
  }

  settings(): FakeSettings {
    return { ...this.#settings };
  }

  exhaust(): void {
    this.limiter.exhaust(this.now());
  }

  setRepoStatus(fullName: string, status: 200 | 404 | 410): void {
    const key = fullName.toLowerCase();
    if (status === 200) this.#repoStatus.delete(key);
    else this.#repoStatus.set(key, status);
  }

  forceChange(fullName?: string): void {
    const at = this.now();
    if (fullName === undefined) {
      this.#forcedAll = { count: this.#forcedAll.count + 1, at };
      return;
    }
    const key = fullName.toLowerCase();
    this.#forced.set(key, { count: (this.#forced.get(key)?.count ?? 0) + 1, at });
  }

  stats(): FakeStats {
    return {
      requests: this.#stats.requests,
      byStatus: { ...this.#stats.byStatus },
      faulted: this.#stats.faulted,
      rateLimit: { maxPerWindow: this.limiter.maxPerWindow, refused: this.limiter.refused },
    };
  }

  reset(): void {
    this.faultSet.clear();
    this.limiter.clear();
    this.#repoStatus = new Map(this.#initialRepos);
    this.#forced.clear();
    this.#forcedAll = { count: 0, at: null };
    this.#stats = emptyStats();
  }

  #limiterSettings() {
    const { limit, authenticatedLimit, windowSeconds } = this.#settings;
    return { limit, authenticatedLimit, windowMs: windowSeconds * 1000 };
  }
}

function emptyStats(): FakeStats {
  return { requests: 0, byStatus: {}, faulted: 0, rateLimit: { maxPerWindow: 0, refused: 0 } };
}

function definedOnly(patch: Partial<FakeSettings>): Partial<FakeSettings> {
  const keys = Object.keys(DEFAULT_SETTINGS) as (keyof FakeSettings)[];
  return Object.fromEntries(keys.filter((key) => patch[key] !== undefined).map((key) => [key, patch[key]]));
}

function validSettings(settings: FakeSettings): FakeSettings {
  const { limit, authenticatedLimit, windowSeconds, changeEverySeconds, exhaustedStatus } = settings;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(what);
  };
  check(Number.isInteger(limit) && limit >= 0, `limit must be a whole number >= 0, got ${limit}`);
  check(Number.isInteger(authenticatedLimit) && authenticatedLimit >= 0, `authenticatedLimit must be a whole number >= 0, got ${authenticatedLimit}`);
  check(windowSeconds > 0, `windowSeconds must be > 0, got ${windowSeconds}`);
  check(changeEverySeconds >= 0, `changeEverySeconds must be >= 0, got ${changeEverySeconds}`);
  check(exhaustedStatus === 403 || exhaustedStatus === 429, `exhaustedStatus must be 403 or 429, got ${exhaustedStatus}`);
  return settings;
}
