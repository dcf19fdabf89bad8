import { ApplicationFailure } from '@temporalio/activity';
import { classifyExchangeError, isPermanentRefusal, scrubSecrets } from '../exchange/errors';

/**
 * The activities' error policy for Temporal, in one place.
 *
 * Payloads and failures are shown in the Web UI and stored in the history, so everything leaving an
 * activity is scrubbed of the secrets the worker holds (exchange keys, the LLM key). A failure the
 * exchange layer calls transient (network, 5xx, rate limit) is thrown as a retryable failure so
 * Temporal retries the activity; a permanent refusal (invalid order, insufficient funds, bad key)
 * is non-retryable: trying again would get the same answer. Anything else (an order not confirmed
 * yet, an unexpected error) is retried: every step is idempotent, and the workflow's retry policy
 * bounds the attempts.
 */

export type Scrub = (text: string) => string;

/** Masks every registered exchange credential and every given secret. */
export function makeScrub(secrets: readonly (string | undefined)[]): Scrub {
  const own = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => {
    let out = scrubSecrets(text);
    for (const s of own) out = out.split(s).join('***');
    return out;
  };
}

/** A copy of a JSON value with every string scrubbed (results travel as payloads). */
export function scrubValue<T>(value: T, scrub: Scrub): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, scrub)])) as T;
  }
  return value;
}

/** The failure to throw for an error that escaped the domain: retryable or not, always scrubbed. */
export function activityFailure(step: string, err: unknown, scrub: Scrub): ApplicationFailure {
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: scrub(err.message),
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
    });
  }
  const c = classifyExchangeError(err);
  const message = `${step}: ${scrub(c.message)}`;
  // a fresh failure, not the original error: its stack and fields could carry request details
  return ApplicationFailure.create({ message, type: c.kind, nonRetryable: isPermanentRefusal(err) });
}


/** Runs one activity step, turning any escaped error into the scrubbed failure above. */
export async function runStep<T>(step: string, scrub: Scrub, work: () => Promise<T>): Promise<T> {
  try {
    return scrubValue(await work(), scrub);
  } catch (err) {
    throw activityFailure(step, err, scrub);
  }
}
