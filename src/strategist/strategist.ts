import type { AiCommand } from '../domain/commands';
import type { TokenUsage } from '../domain/llmBudget';
import type { Trade } from '../domain/trade';
import type { DecisionContext } from '../domain/validation';
import type { MarketSnapshot } from './marketSnapshot';
import type { Prompt } from './prompt';

export type StrategistKind = 'llm' | 'rules';

export interface StrategistRequest {
  symbol: string;
  /** the symbol's open trade (PENDING or ACTIVE), else null */
  trade: Trade | null;
  snapshot: MarketSnapshot;
  /** what the answer is validated against (risk limits, last price, open trades) */
  context: DecisionContext;
}

/** what every proposal may carry besides the command: the prompt, the raw answer, its cost */
interface ProposalExtras {
  rawAnswer?: string;
  prompt?: Prompt;
  usage?: DecisionUsage;
  /** the answer came from the backtest's answer cache, not from a call */
  cached?: boolean;
}

/**
 * A failure that must stop the run rather than become DO_NOTHING: a backtest over its LLM budget,
 * or in cache-only mode without a cached answer. decide() lets it through; nothing live raises it.
 */
export class FatalStrategistError extends Error {
  override name = 'FatalStrategistError';
}

/**
 * What a strategist proposes, before semantic validation. A failure to get or read an answer is a
 * value, not an exception: `stage` says where it failed (the LLM call, or reading its answer).
 */
export type Proposal =
  | ({ ok: true; source: StrategistKind; command: AiCommand } & ProposalExtras)
  | ({
      ok: false;
      source: StrategistKind;
      stage: 'llm' | 'parse';
      code: string;
      reason: string;
    } & ProposalExtras);

/** what one decision cost: the API's usage field, the model, and the money when the model has a price */
export interface DecisionUsage extends TokenUsage {
  model: string;
  /** USD, priced by llm_models.<model>; absent when the model has no price */
  cost?: number;
}

/** Anything that can answer "what now?" for one symbol: the LLM, or the deterministic rules. */
export interface Strategist {
  readonly kind: StrategistKind;
  /** one line for logs, e.g. "llm gpt-4o-mini at https://api.openai.com/v1"; never secrets */
  readonly description: string;
  propose(request: StrategistRequest): Promise<Proposal>;
}
