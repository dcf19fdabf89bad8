import type { ModelPrice } from '../domain/llmBudget';
import type { TradingConfig } from './schema';

/**
 * The models of the one price table (llm_models) that have both prices, as the live budget reads
 * them: the budget's guard prices each answer by it, and the portfolio's card says whether its
 * cost figure means USD or nothing.
 */
export function modelPrices(models: TradingConfig['llm_models']): Record<string, ModelPrice> {
  const out: Record<string, ModelPrice> = {};
  for (const [model, m] of Object.entries(models)) {
    if (m.input_usd_per_million_tokens === undefined || m.output_usd_per_million_tokens === undefined) continue;
    out[model] = { inputPerMillion: m.input_usd_per_million_tokens, outputPerMillion: m.output_usd_per_million_tokens };
  }
  return out;
}
