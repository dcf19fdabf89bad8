import type { LlmModelConfig } from '../../config/schema';
import type { CompletionUsage as TokenUsage } from '../../strategist/llmStrategist';
import type { LlmUsage } from '../runTypes';

/** USD for some tokens at a model's configured prices; null when the prices are not configured */
export function costOf(usage: TokenUsage, prices: LlmModelConfig | undefined): number | null {
  if (prices?.input_usd_per_million_tokens === undefined || prices.output_usd_per_million_tokens === undefined) return null;
  return (usage.promptTokens * prices.input_usd_per_million_tokens + usage.completionTokens * prices.output_usd_per_million_tokens) / 1e6;
}

/**
 * Running totals of one strategist's LLM use: real calls (and their tokens and cost) apart from
 * answers served by the cache, which cost nothing this run. `inFlight` counts calls started and
 * not yet answered, so a budget of N calls holds with several decisions in flight.
 */
export class UsageMeter {
  calls = 0;
  inFlight = 0;
  cacheHits = 0;
  promptTokens = 0;
  completionTokens = 0;
  readonly #prices: LlmModelConfig | undefined;
  #cost = 0;

  constructor(prices?: LlmModelConfig) {
    this.#prices = prices;
  }

  /** USD spent so far; null without configured prices */
  get cost(): number | null {
    return costOf({ promptTokens: 0, completionTokens: 0 }, this.#prices) === null ? null : this.#cost;
  }

  started(): void {
    this.inFlight++;
  }

  finished(usage: TokenUsage | null): void {
    this.inFlight--;
    this.calls++;
    if (!usage) return;
    this.promptTokens += usage.promptTokens;
    this.completionTokens += usage.completionTokens;
    this.#cost += costOf(usage, this.#prices) ?? 0;
  }

  failed(): void {
    this.inFlight--;
    this.calls++;
  }

  hit(): void {
    this.cacheHits++;
  }

  /** the totals for BacktestRun.strategists[].llm */
  toUsage(): LlmUsage {
    const cost = this.cost;
    return {
      calls: this.calls,
      cacheHits: this.cacheHits,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      ...(cost === null ? {} : { cost }),
    };
  }
}
