import type { TradingConfig } from '../config/schema';
import { modelPrices } from '../config/llmPrices';
import { BudgetedStrategist } from './budgetedStrategist';
import { LlmStrategist } from './llmStrategist';
import { SpendLedger, type SpendBook } from './spendLedger';
import { RulesStrategist } from './rulesStrategist';
import type { Strategist } from './strategist';

export const NO_API_KEY_WARNING =
  'strategist.kind is llm but OPENAI_API_KEY is not set: using the rules strategist (EMA trend following with ATR stops) instead';

/**
 * The configured strategist. kind llm without OPENAI_API_KEY falls back to the rules strategist
 * with a warning: the system keeps running on a known, deterministic strategy rather than not at all.
 * `ledger` makes the budget's ledger from the configured state file (a worker: the portfolio's,
 * shared by every worker); without it the file itself is the ledger (one process: tools).
 */
export function createStrategist(
  config: Pick<TradingConfig, 'strategist' | 'llm_models'>,
  env: Record<string, string | undefined>,
  warn: (message: string) => void = (m) => console.warn(`WARNING: ${m}`),
  ledger: (stateFile: string) => SpendBook = (stateFile) => new SpendLedger(stateFile),
): Strategist {
  const s = config.strategist;
  if (s.kind === 'rules') return new RulesStrategist();
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) {
    warn(NO_API_KEY_WARNING);
    return new RulesStrategist();
  }
  const llm = new LlmStrategist({
    baseUrl: s.base_url,
    apiKey,
    model: s.model,
    temperature: s.temperature,
    timeoutMs: s.timeout,
    maxRetries: s.max_retries,
    maxPromptTokens: s.max_prompt_tokens,
    maxAnswerChars: s.max_answer_chars,
  });
  const b = s.budget;
  const prices = modelPrices(config.llm_models);
  if (b.daily_cost !== null && !prices[s.model]) {
    warn(`strategist.budget.daily_cost is set but llm_models has no price for ${s.model} (input_usd_per_million_tokens and output_usd_per_million_tokens): only the token budget (${b.daily_tokens} a day) applies`);
  }
  return new BudgetedStrategist(llm, {
    budget: { dailyTokens: b.daily_tokens, dailyCost: b.daily_cost },
    prices,
    model: s.model,
    ledger: ledger(b.state_file),
    fallback: b.when_spent === 'rules' ? new RulesStrategist() : null,
    warn,
  });
}

/**
 * The start-up check of the configured LLM endpoint (a models list): a warning at once when it
 * cannot be reached or refuses the key. Nothing for the rules strategist.
 */
export async function checkStrategistEndpoint(strategist: Strategist): Promise<string | null> {
  const llm = strategist instanceof BudgetedStrategist ? strategist.llm : strategist;
  return llm instanceof LlmStrategist ? llm.checkEndpoint() : null;
}
