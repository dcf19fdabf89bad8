import type { TradeLogRow } from '../domain/tradeLogRow';
import type { EquityBook, Halt, RiskFigures } from '../domain/envelope/killSwitch';
import type { PortfolioLimits } from '../domain/envelope/limits';
import type { Exposure, Grants, SlotRefusalCode } from '../domain/envelope/slots';
import type { DaySpend } from '../domain/llmBudget';

/**
 * The portfolio workflow's input and state: plain JSON, carried whole over continue-as-new and
 * returned by the `portfolio` query.
 */

export type PortfolioStatus = 'ACTIVE' | 'HALTED';

export interface PortfolioInput {
  limits: PortfolioLimits;
  /** the configured symbols: whose traders are reconciled and told of a halt */
  symbols: string[];
  /** how often the account's equity is read (durable timer), ms */
  equityIntervalMs: number;
  /** reconcile the grants with the traders every this many readings (default 5; also at start) */
  reconcileEvery?: number;
  /** continue-as-new after this many readings (default 500) */
  maxReadingsPerRun?: number;
  /** the LLM's daily budget per the config that started the portfolio: shown beside its spend (absent: the rules strategist, or a run from before) */
  llmBudget?: LlmBudgetShown;
  /** set by continue-as-new only */
  state?: PortfolioState;
}

/**
 * strategist.budget as the Web UI card and `cli risk` show it. Each worker applies its own
 * config's budget; this is the one the portfolio was started with (normally the same config).
 */
export interface LlmBudgetShown {
  dailyTokens: number;
  /** USD; null: no money limit */
  dailyCost: number | null;
  model: string;
  /** llm_models has both prices of the model: the ledger's cost is its USD cost (else it counts nothing) */
  priced: boolean;
}

export interface PortfolioState {
  /** what trade log rows say in their symbol column */
  symbol: 'PORTFOLIO';
  status: PortfolioStatus;
  /** open-trade slots by trade id */
  grants: Grants;
  book: EquityBook | null;
  halt: Halt | null;
  /** released trade ids, most recent last (bounded): a late repeated request is not granted again */
  released: string[];
  lastRefusal: { tradeId: string; symbol: string; code: SlotRefusalCode; reason: string; at: number } | null;
  lastError: string | null;
  /** equity readings so far (the trade log's sequence column for portfolio rows) */
  sequence: number;
  journalSeq: number;
  runs: number;
  pendingRows?: TradeLogRow[];
  /** the LLM's spend of the latest day any worker reported (the deployment's one budget ledger); absent: none yet */
  llmSpend?: DaySpend;
}

/** what `cli risk` and the Web UI show */
export interface PortfolioView extends PortfolioState {
  limits: PortfolioLimits;
  llmBudget?: LlmBudgetShown;
  figures: RiskFigures | null;
  exposure: Exposure & { totalPercent: number | null };
}

export interface ReleaseRequest {
  tradeId: string;
  /** why (CLOSED, CANCELLED, rejected by the OMS, ...) */
  reason: string;
}

/** the portfolioHalt signal's payload: defined with the reaction to it, in the domain */
export type { HaltNotice } from '../domain/envelope/haltReaction';

export const RELEASED_LIMIT = 500;

/** what a trader knows of a trade it wants to place; requestSlot turns it into a SlotRequest */
export interface SlotDraft {
  tradeId: string;
  symbol: string;
  sequence: number;
  entryPrice: number;
  positionSizePercent: number;
}

/** The account's value: every balance marked to its symbol's last price. */
export interface AccountEquity {
  /** quote currency (e.g. USDT) */
  equity: number;
  quote: string;
  /** market time of the prices used (the newest ticker's timestamp), epoch ms */
  at: number;
  /** one line: what it is made of */
  detail: string;
  /** assets held that could not be priced (left out of equity) */
  unpriced: string[];
}
