import { FatalStrategistError } from '../../strategist/strategist';
import type { CompletionMiddleware } from '../../strategist/llmStrategist';
import { AnswerCache, cacheKey, type CacheMode } from './answerCache';
import type { UsageMeter } from './usageMeter';

export interface Budget {
  /** most real LLM calls the run may make (cache hits are free) */
  maxCalls?: number;
  /** most USD the run may spend (needs the model's prices in the config) */
  maxCost?: number;
}

export interface CallPolicyOptions {
  cache: AnswerCache;
  mode: CacheMode;
  meter: UsageMeter;
  budget?: Budget;
}

/**
 * What happens around every chat completion in a backtest:
 * - normal: a cached answer is used as is (no call); a miss calls the model and stores the answer.
 * - no-cache: always calls the model; the cache is neither read nor written.
 * - cache-only: a miss stops the run (FatalStrategistError): a re-run that must not spend anything.
 * Before a real call the budget is checked: the run stops rather than make call N+1 or spend past
 * the cost limit. The cost check sees the calls that have answered; with K decisions in flight the
 * spend can pass the limit by at most K calls' cost. Failed calls are not cached (a re-run retries).
 */
export function callPolicy(options: CallPolicyOptions): CompletionMiddleware {
  const { cache, mode, meter, budget = {} } = options;
  return async (request, call) => {
    if (mode !== 'no-cache') {
      const entry = await cache.get(request);
      if (entry) {
        meter.hit();
        return { ...entry.answer, cached: true };
      }
      if (mode === 'cache-only') {
        throw new FatalStrategistError(
          `cache-only: no cached answer for ${request.model} at ${request.baseUrl} (key ${cacheKey(request)}, ${cache.pathFor(request)}); ` +
            'run without --cache-only to ask the model',
        );
      }
    }
    if (budget.maxCalls !== undefined && meter.calls + meter.inFlight >= budget.maxCalls) {
      throw new FatalStrategistError(`LLM budget: ${budget.maxCalls} call(s) made, --max-llm-calls ${budget.maxCalls} allows no more`);
    }
    if (budget.maxCost !== undefined) {
      const spent = meter.cost;
      if (spent === null) throw new FatalStrategistError(`LLM budget: --max-llm-cost needs prices for ${request.model} in the config (llm_models)`);
      if (spent >= budget.maxCost) {
        throw new FatalStrategistError(`LLM budget: $${spent.toFixed(4)} spent, --max-llm-cost $${budget.maxCost} allows no more`);
      }
    }
    meter.started();
    let answer;
    try {
      answer = await call();
    } catch (err) {
      meter.failed();
      throw err;
    }
    meter.finished(answer.usage);
    if (mode === 'normal') await cache.put(request, answer);
    return answer;
  };
}
