import { z } from 'zod';

/**
 * Faults the fake can be told to inject, one JSON object each (POST /_control/faults, or
 * `control.addFault()`):
 *
 *   {"type":"status","status":502}                       a 5xx (or any status) instead of the answer
 *   {"type":"secondary_rate_limit","retryAfter":30}      429 (or 403) with retry-after, like GitHub's secondary limit
 *   {"type":"delay","ms":2000}                           answer late, so a client's timeout fires
 *   {"type":"malformed","mode":"truncated"}              200 with a broken body (truncated | wrong_shape | html)
 *   {"type":"reset"}                                     destroy the connection without an answer (TCP RST)
 *   {"type":"outage","mode":"reset"}                     every request fails (reset | unavailable) until cleared
 *
 * Each also takes `count` (only the next N matching requests), `fraction` (that share of
 * requests, drawn from the fake's seeded random), and `repo` ("owner/name": only that
 * repository). With neither count nor fraction a fault lasts until it is removed.
 * Injected error answers and resets do not spend the rate limit; delayed and malformed
 * 200s do, as they are answers GitHub would have charged.
 */
const common = {
  count: z.number().int().min(1).optional(),
  fraction: z.number().gt(0).max(1).optional(),
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name')
    .transform((value) => value.toLowerCase())
    .optional(),
};

export const faultSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('status'),
    status: z.number().int().min(400).max(599),
    /** Seconds, or an HTTP date; sent as retry-after. */
    retryAfter: z.union([z.number().int().min(0), z.string().min(1)]).optional(),
    ...common,
  }),
  z.object({
    type: z.literal('secondary_rate_limit'),
    status: z.union([z.literal(403), z.literal(429)]).default(429),
    retryAfter: z.number().int().min(0).default(60),
    ...common,
  }),
  z.object({ type: z.literal('delay'), ms: z.number().int().min(1).max(600_000), ...common }),
  z.object({ type: z.literal('malformed'), mode: z.enum(['truncated', 'wrong_shape', 'html']).default('truncated'), ...common }),
  z.object({ type: z.literal('reset'), ...common }),
  z.object({ type: z.literal('outage'), mode: z.enum(['reset', 'unavailable']).default('reset'), ...common }),
]);

export type FaultInput = z.input<typeof faultSchema>;
export type Fault = z.output<typeof faultSchema>;

export interface ActiveFault {
  id: number;
  fault: Fault;
  /** Requests it still applies to; null when unlimited. */
  remaining: number | null;
  /** How many requests it has hit so far. */
  fired: number;
}

/** What happens to one request: a total delay first, then at most one fault that replaces the answer. */
export interface FaultPlan {
  delayMs: number;
  fault: Exclude<Fault, { type: 'delay' }> | null;
}

export class FaultSet {
  readonly #random: () => number;
  #faults: ActiveFault[] = [];
  #nextId = 1;

  constructor(random: () => number) {
    this.#random = random;
  }

  add(input: FaultInput): ActiveFault {
    const fault = faultSchema.parse(input);
    const active: ActiveFault = { id: this.#nextId++, fault, remaining: fault.count ?? null, fired: 0 };
    this.#faults.push(active);
    return active;
  }

  remove(id: number): boolean {
    const before = this.#faults.length;
    this.#faults = this.#faults.filter((active) => active.id !== id);
    return this.#faults.length < before;
  }

  clear(): void {
    this.#faults = [];
  }

  list(): ActiveFault[] {
    return this.#faults.map((active) => ({ ...active }));
  }

  /** Decides the faults for a request to `repoKey` (lower-case "owner/name"), consuming counts. */
  plan(repoKey: string | null): FaultPlan {
    const plan: FaultPlan = { delayMs: 0, fault: null };
    for (const active of this.#faults) {
      const { fault } = active;
      if (fault.repo !== undefined && fault.repo !== repoKey) continue;
      // A replacing fault is already chosen: later ones do not fire (nor spend their count).
      if (fault.type !== 'delay' && plan.fault) continue;
      if (fault.fraction !== undefined && this.#random() >= fault.fraction) continue;
      if (active.remaining !== null) active.remaining--;
      active.fired++;
      if (fault.type === 'delay') plan.delayMs += fault.ms;
      else plan.fault = fault;
    }
    this.#faults = this.#faults.filter((active) => active.remaining !== 0);
    return plan;
  }
}

/** A small seeded PRNG (mulberry32), so `fraction` faults repeat from run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
