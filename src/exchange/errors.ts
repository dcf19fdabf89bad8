import ccxt from './ccxtLib';

/**
 * The error policy of the exchange layer, in one place.
 *
 * ccxt sorts every exchange failure into two families: OperationFailed (NetworkError and its kin:
 * timeouts, 5xx, 418/429 rate limits, lost connections) says "the request may not have happened,
 * try again"; ExchangeError (InvalidOrder, InsufficientFunds, AuthenticationError, BadRequest,
 * OrderNotFound...) says "the exchange understood you and said no", and trying again gets the same
 * answer. Temporal activities turn the permanent kind into non-retryable failures.
 */

export interface ExchangeErrorClass {
  retryable: boolean;
  /** ccxt's class name (e.g. InsufficientFunds), or the JS error name for anything else */
  kind: string;
  /** the error message with credentials scrubbed */
  message: string;
}

/** A permanent refusal of a command, carrying a reason a trader understands. */
export class ExchangeRejection extends Error {
  override name = 'ExchangeRejection';
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** retryable errors that gave up after the gateway's bounded attempts */
export class ExchangeUnavailable extends Error {
  override name = 'ExchangeUnavailable';
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

const secrets = new Set<string>();

/** Registers a credential so that no message leaving the exchange layer ever contains it. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  // signatures and key headers as ccxt may echo them in a URL or a header dump
  out = out.replace(/(signature=)[0-9a-fA-F]{16,}/g, '$1***');
  out = out.replace(/(X-MBX-APIKEY["']?\s*[:=]\s*["']?)[^"',\s}]+/gi, '$1***');
  return out;
}

function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const ctor = (err as { constructor?: { name?: string } }).constructor?.name;
    if (ctor && ctor !== 'Object' && ctor !== 'Error') return ctor;
    const name = (err as { name?: string }).name;
    if (name) return name;
  }
  return 'Error';
}

/** the exchange understood the request and said no: the same request gets the same answer */
export function isPermanentRefusal(err: unknown): boolean {
  if (err instanceof ExchangeRejection) return true;
  return err instanceof ccxt.ExchangeError && !classifyExchangeError(err).retryable;
}

export function classifyExchangeError(err: unknown): ExchangeErrorClass {
  const message = scrubSecrets(err instanceof Error ? err.message : String(err));
  if (err instanceof ExchangeRejection) return { retryable: false, kind: err.kind, message };
  if (err instanceof ExchangeUnavailable) return { retryable: true, kind: err.kind, message };
  if (err instanceof ccxt.OperationFailed) return { retryable: true, kind: errorName(err), message };
  if (err instanceof ccxt.ExchangeError) return { retryable: false, kind: errorName(err), message };
  // plain socket errors that escaped ccxt's wrapping are transport failures too
  const code = (err as { code?: string } | null)?.code;
  if (typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR_)/.test(code)) {
    return { retryable: true, kind: 'NetworkError', message };
  }
  return { retryable: false, kind: errorName(err), message };
}

/** Rethrowable copy of any error with credentials scrubbed, keeping its ccxt class for callers. */
export function scrubbedError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(scrubSecrets(String(err)));
  const clean = scrubSecrets(err.message);
  if (clean !== err.message) err.message = clean;
  if (err.stack) err.stack = scrubSecrets(err.stack);
  return err;
}

export function isOrderNotFound(err: unknown): boolean {
  return err instanceof ccxt.OrderNotFound;
}
