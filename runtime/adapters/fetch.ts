import type { Service } from '../service.ts';
import { createFunctionService } from './function-app.ts';

/**
 * For runtimes that take a standard fetch handler (`export default { fetch }`: Bun, Deno,
 * and platforms built on them): the app with its request observation, built on the first
 * request from the process's environment and reused after. Each access line is written
 * once the response body has been read to its end, and reaches standard output within 20 ms
 * (lines at WARN and above at once), as on the Node service.
 */
let built: Service | undefined;

async function fetch(request: Request): Promise<Response> {
  built ??= createFunctionService();
  return built.app.fetch(request);
}

export default { fetch };
