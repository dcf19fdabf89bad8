import ccxt from '../ccxtLib';
import { type Exchange } from 'ccxt';
import { classifyExchangeError, ExchangeRejection, ExchangeUnavailable, scrubbedError } from '../errors';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface GatewayOptions {
  retry?: Partial<RetryPolicy>;
  /** observer for every retried failure (logging, tests) */
  onRetry?: (info: { label: string; attempt: number; kind: string; delayMs: number }) => void;
}

/**
 * The gateway's retry and adoption policy. Transient failures (ccxt's OperationFailed family) are
 * retried a bounded number of times with backoff that honours Retry-After. Writes are idempotent
 * by client id: after a failure that may have reached the exchange (a timeout, a lost response)
 * the client id is looked up first and what is found is adopted, so a retry never places a second
 * order. Permanent refusals surface as ExchangeRejection; retries that run out as ExchangeUnavailable.
 */
export class Retrier {
  private readonly policy: RetryPolicy;

  constructor(
    private readonly exchange: Exchange,
    private readonly options: GatewayOptions = {},
  ) {
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
    keepHeadersOfFailures(exchange);
  }

  /** reads: retry transient failures, pass permanent ones through (with credentials scrubbed) */
  async read<T>(label: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const c = classifyExchangeError(err);
        if (!c.retryable) throw scrubbedError(err);
        if (attempt >= this.policy.attempts) throw new ExchangeUnavailable(c.kind, `${label}: gave up after ${attempt} attempts: ${c.message}`);
        await this.pause(label, attempt, c.kind, err);
      }
    }
  }

  /** adopts what the exchange already has under this client id, else places it (see write) */
  async adoptOrPlace<T>(label: string, lookup: () => Promise<T | null>, place: () => Promise<T>): Promise<T> {
    const existing = await lookup();
    if (existing) return existing;
    return this.write(label, place, lookup);
  }

  /**
   * A write that may have happened even when its response was lost: after every transient failure
   * (and after a "duplicate" refusal) look the client id up before trying again.
   */
  async write<T>(label: string, write: () => Promise<T>, lookup: () => Promise<T | null>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        const c = classifyExchangeError(err);
        if (!c.retryable && /duplicate/i.test(c.message)) {
          const found = await lookup();
          if (found) return found;
        }
        if (!c.retryable) throw new ExchangeRejection(c.kind, `${label}: ${c.message}`);
        if (attempt >= this.policy.attempts) throw new ExchangeUnavailable(c.kind, `${label}: gave up after ${attempt} attempts: ${c.message}`);
        await this.pause(label, attempt, c.kind, err);
        const found = await lookup();
        if (found) return found;
      }
    }
  }

  private async pause(label: string, attempt: number, kind: string, err: unknown): Promise<void> {
    const backoff = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    const retryAfter = retryAfterMs(err);
    const delayMs = Math.min(this.policy.maxDelayMs, Math.max(backoff, retryAfter ?? 0));
    this.options.onRetry?.({ label, attempt, kind, delayMs });
    await new Promise((r) => setTimeout(r, delayMs));
  }
}

/** where the headers of the response an error came from are kept on the error */
const RESPONSE_HEADERS = Symbol('responseHeaders');
const KEEPING = Symbol('keepsHeadersOfFailures');

/**
 * The shared ccxt instance's last_response_headers belong to whichever request answered last, and
 * concurrent requests overwrite them; so every error ccxt throws while handling a response gets
 * that response's own headers attached (Retry-After is read from there).
 */
function keepHeadersOfFailures(exchange: Exchange): void {
  const ex = exchange as Exchange & { [KEEPING]?: true };
  if (ex[KEEPING]) return;
  ex[KEEPING] = true;
  const handle = exchange.handleRestResponse.bind(exchange) as (...args: any[]) => unknown;
  exchange.handleRestResponse = (response: any, ...rest: any[]) =>
    Promise.resolve(handle(response, ...rest)).catch((err: unknown) => {
      if (err && typeof err === 'object') (err as { [RESPONSE_HEADERS]?: unknown })[RESPONSE_HEADERS] = exchange.getResponseHeaders(response);
      throw err;
    });
}

function retryAfterMs(err: unknown): number | null {
  if (!(err instanceof ccxt.DDoSProtection) && !(err instanceof ccxt.RateLimitExceeded)) return null;
  const headers = ((err as { [RESPONSE_HEADERS]?: Record<string, string> })[RESPONSE_HEADERS] ?? {}) as Record<string, string>;
  const value = headers['retry-after'] ?? headers['Retry-After'];
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}
