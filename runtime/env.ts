import type { Logger } from '../lib/logging/logger.ts';

/** What the shared middleware puts on each request's context for the handlers after it. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** The name of the API token that authorised this request, when one did. */
    client?: string;
  };
}
