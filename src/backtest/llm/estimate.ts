import type { LlmModelConfig } from '../../config/schema';
import { estimateTokens } from '../../strategist/marketSnapshot';
import type { Prompt } from '../../strategist/prompt';
import type { CacheMode } from './answerCache';
import type { Budget } from './callPolicy';
import { costOf } from './usageMeter';

/**
 * Before the first LLM call: how many decisions, how many tokens and what it may cost, and a
 * refusal when that is over the budget. The estimate is an upper bound on calls: every decision
 * is counted as a call, though answers already in the cache will cost nothing (cache-only: none).
 */

/** completion tokens per answer when nothing better is known: one JSON command with a short reason */
export const DEFAULT_COMPLETION_TOKENS = 150;

export interface LlmEstimate {
  model: string;
  decisions: number;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** USD; null without the model's prices in the config */
  cost: number | null;
}

export interface EstimateInput {
  model: string;
  /** symbols x decision points (cycles / decide-every) */
  decisions: number;
  /** a prompt like the run's (the first decision's) */
  samplePrompt: Prompt;
  completionTokensPerDecision?: number;
  prices?: LlmModelConfig;
  mode: CacheMode;
}

export function estimateLlmRun(input: EstimateInput): LlmEstimate {
  const calls = input.mode === 'cache-only' ? 0 : input.decisions;
  const perPrompt = estimateTokens(input.samplePrompt.system) + estimateTokens(input.samplePrompt.user);
  const promptTokens = calls * perPrompt;
  const completionTokens = calls * (input.completionTokensPerDecision ?? DEFAULT_COMPLETION_TOKENS);
  return { model: input.model, decisions: input.decisions, calls, promptTokens, completionTokens, cost: costOf({ promptTokens, completionTokens }, input.prices) };
}

export function formatEstimate(e: LlmEstimate): string {
  const cost = e.cost === null ? 'cost unknown (no prices for this model in the config: llm_models)' : `~$${e.cost.toFixed(4)}`;
  return `LLM ${e.model}: ${e.decisions} decisions, up to ${e.calls} calls, ~${e.promptTokens.toLocaleString('en-US')} prompt + ~${e.completionTokens.toLocaleString('en-US')} completion tokens, ${cost} (cached answers cost nothing)`;
}

export class BudgetError extends Error {
  override name = 'BudgetError';
}

/**
 * Refuses (throws BudgetError, naming the figures and the flag) when the estimate exceeds the budget,
 * unless `allowOverBudget`: then the run starts and the budget still stops it at run time (callPolicy),
 * which is what a mostly cached re-run wants.
 */
export function checkBudget(estimate: LlmEstimate, budget: Budget, options: { allowOverBudget?: boolean } = {}): void {
  if (budget.maxCost !== undefined && estimate.cost === null) {
    throw new BudgetError(`--max-llm-cost is set but the config has no prices for ${estimate.model} (llm_models.${estimate.model}.input_usd_per_million_tokens and output_usd_per_million_tokens)`);
  }
  if (options.allowOverBudget) return;
  const over: string[] = [];
  if (budget.maxCalls !== undefined && estimate.calls > budget.maxCalls) over.push(`${estimate.calls} calls > --max-llm-calls ${budget.maxCalls}`);
  if (budget.maxCost !== undefined && estimate.cost !== null && estimate.cost > budget.maxCost) {
    over.push(`~$${estimate.cost.toFixed(4)} > --max-llm-cost ${budget.maxCost}`);
  }
  if (over.length > 0) {
    throw new BudgetError(
      `refusing to start: the estimate for ${estimate.model} is over the budget (${over.join('; ')}). ` +
        'Raise the limit, shorten the window, use --decide-every, or pass --allow-over-budget to start anyway (the limit still stops the run when reached).',
    );
  }
}

/**
 * Look-ahead through the model's memory: a window that starts before the model's training cutoff is
 * history the model may have read about. Loud warnings for the terminal and the report.
 */
export function cutoffWarnings(input: { model: string; from: number; to: number; masked: boolean; prices?: LlmModelConfig }): string[] {
  const cutoff = input.prices?.training_cutoff;
  const window = `${day(input.from)} to ${day(input.to)}`;
  if (!cutoff) {
    return [`no training cutoff configured for ${input.model} (llm_models.${input.model}.training_cutoff): cannot tell whether it saw ${window} in training`];
  }
  const cutoffAt = Date.parse(`${cutoff}T00:00:00Z`);
  if (input.from >= cutoffAt) return [];
  const part = input.to <= cutoffAt ? 'the whole window' : `the part before ${cutoff}`;
  const mitigation = input.masked
    ? 'prompts are masked (no symbol, no real dates, rescaled prices), which hides the obvious clues but not the shape of famous moves'
    : 'the model may remember what happened next; results can look better than they would live (consider --mask or a later window)';
  return [`LOOK-AHEAD RISK: the window ${window} is before ${input.model}'s training cutoff ${cutoff}; ${part} may be in its training data: ${mitigation}`];
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
