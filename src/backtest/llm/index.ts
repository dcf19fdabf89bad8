import type { LlmModelConfig } from '../../config/schema';
import { LlmStrategist, type LlmStrategistOptions } from '../../strategist/llmStrategist';
import { systemPrompt } from '../../strategist/prompt';
import { AnswerCache, DEFAULT_CACHE_DIR, type CacheMode } from './answerCache';
import { callPolicy, type Budget } from './callPolicy';
import { Masker, MaskingStrategist, type MaskOptions, type PromptingStrategist } from './masking';
import { UsageMeter } from './usageMeter';

export { AnswerCache, CACHE_MODES, cacheKey, DEFAULT_CACHE_DIR, type CacheMode, type CachedAnswer } from './answerCache';
export { callPolicy, type Budget } from './callPolicy';
export { allLimited, inFlightLimit, type InFlightLimit } from './concurrency';
export { BudgetError, checkBudget, cutoffWarnings, estimateLlmRun, formatEstimate, type LlmEstimate } from './estimate';
export { Masker, MaskingStrategist, type MaskOptions, type PromptingStrategist } from './masking';
export { costOf, UsageMeter } from './usageMeter';
export { FatalStrategistError } from '../../strategist/strategist';

export interface BacktestLlmOptions {
  /** the live strategist's options (config strategist.*, OPENAI_API_KEY) */
  llm: Omit<LlmStrategistOptions, 'around' | 'systemPrompt'>;
  /** default data/llm-cache */
  cacheDir?: string;
  mode: CacheMode;
  budget?: Budget;
  /** config llm_models[model]: prices and training cutoff */
  prices?: LlmModelConfig;
  /** --mask: the run's symbols and window start */
  mask?: MaskOptions;
}

export interface BacktestLlm {
  /** what the engine asks: the LLM strategist behind the cache, the budget and (with --mask) masking */
  strategist: PromptingStrategist;
  /** its running totals: BacktestRun.strategists[].llm = meter.toUsage() */
  meter: UsageMeter;
  cache: AnswerCache;
}

/**
 * The LLM strategist for a backtest: the same LlmStrategist as live (prompt, call, parsing), with
 * every completion going through the answer cache and the budget, and, with `mask`, the request
 * masked before the prompt is built. Decisions carry `usage` and `cached` (decide() passes them on).
 */
export function backtestLlmStrategist(options: BacktestLlmOptions): BacktestLlm {
  const meter = new UsageMeter(options.prices);
  const cache = new AnswerCache(options.cacheDir ?? DEFAULT_CACHE_DIR);
  const around = callPolicy({ cache, mode: options.mode, meter, ...(options.budget ? { budget: options.budget } : {}) });
  const masker = options.mask ? new Masker(options.mask) : null;
  const llm = new LlmStrategist({ ...options.llm, around, ...(masker ? { systemPrompt: masker.maskText(systemPrompt()) } : {}) });
  const strategist = options.mask ? new MaskingStrategist(llm, options.mask) : llm;
  return { strategist, meter, cache };
}
