import type { TradingConfig } from '../config/schema';
import { LlmStrategist } from './llmStrategist';
import { RulesStrategist } from './rulesStrategist';
import type { Strategist } from './strategist';

export const NO_API_KEY_WARNING =
  'strategist.kind is llm but OPENAI_API_KEY is not set: using the rules strategist (EMA trend following with ATR stops) instead';

/**
 * The configured strategist. kind llm without OPENAI_API_KEY falls back to the rules strategist
 * with a warning: the system keeps running on a known, deterministic strategy rather than not at all.
 */
export function createStrategist(
  config: Pick<TradingConfig, 'strategist'>,
  env: Record<string, string | undefined>,
  warn: (message: string) => void = (m) => console.warn(`WARNING: ${m}`),
): Strategist {
  const s = config.strategist;
  if (s.kind === 'rules') return new RulesStrategist();
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) {
    warn(NO_API_KEY_WARNING);
    return new RulesStrategist();
  }
  return new LlmStrategist({
    baseUrl: s.base_url,
    apiKey,
    model: s.model,
    temperature: s.temperature,
    timeoutMs: s.timeout,
    maxRetries: s.max_retries,
    maxPromptTokens: s.max_prompt_tokens,
    maxAnswerChars: s.max_answer_chars,
  });
}
