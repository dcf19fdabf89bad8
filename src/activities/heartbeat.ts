import { Context } from '@temporalio/activity';

/**
 * Heartbeats while slow work (an LLM call with retries, a batch of exchange requests) is under way,
 * so that a worker that died is noticed by its heartbeat timeout rather than the whole
 * start-to-close timeout. A heartbeat is cheap: the SDK throttles what it sends to the server.
 */
export async function withHeartbeat<T>(work: () => Promise<T>, everyMs = 2_000, details?: unknown): Promise<T> {
  const context = Context.current();
  context.heartbeat(details);
  const timer = setInterval(() => context.heartbeat(details), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
