import type { AiCommand } from '../domain/commands';
import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';

/**
 * The results activities hand to the workflows that are not already domain types (OmsResult is
 * src/domain/omsResult.ts). Everything crossing the boundary is plain JSON: it is stored in the
 * workflow history, shown in the Web UI and replayed. So: no class instances, no Dates (epoch ms),
 * no secrets. The activity implementations are annotated with these, so they cannot drift apart.
 */

export type { OmsOutcome, OmsRejection, OmsResult } from '../domain/omsResult';

/** Where a strategist's answer was refused, and why (the trader reads `reason`). */
export interface DecisionRejection {
  stage: string;
  code: string;
  reason: string;
}

/** What askStrategist returns: src/strategist/decide.ts's Decision without the prompt. */
export interface StrategistDecision {
  /** the validated command, or DO_NOTHING when the answer was refused or the strategist failed */
  command: AiCommand;
  source: 'llm' | 'rules';
  accepted: boolean;
  rejection?: DecisionRejection;
  /** the model's raw answer, for the journal (trimmed by the activity) */
  rawAnswer?: string;
  /** the LLM call's token usage (the API's usage field), model and cost: on every decision that called the LLM */
  usage?: { model: string; promptTokens: number; completionTokens: number; totalTokens: number; cost?: number };
  /** the answer came from a backtest's answer cache (no call was made); never set live */
  cached?: boolean;
}

export interface ReconcileResult {
  /** the trade as the exchange shows it (null: nothing open) */
  trade: Trade | null;
  /** what happened while nobody was looking (fills, cancels), with stable event ids */
  events: TradeEvent[];
  /** one human-readable line per difference found and what was done about it */
  report: string[];
  /**
   * the highest trade sequence the exchange has seen for this symbol (our client ids in its order
   * history; 0: none). The workflow's next trade takes a higher one, so a trader started fresh never
   * reuses a trade id (and adopts an old trade's orders). Absent in results recorded before it existed.
   */
  highestSequence?: number;
  /** what comparing the open trade with the exchange found, by code (absent in results recorded before it existed) */
  findings?: Array<{ code: string; detail: string }>;
}
