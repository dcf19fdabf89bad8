import type { AiCommand } from '../domain/commands';
import type { TradeEvent } from '../domain/events';
import type { Trade, TradeStatus } from '../domain/trade';
import type { MarketSnapshot } from '../strategist/marketSnapshot';

/**
 * The contract between the workflows (src/workflows) and the activities that do the I/O.
 * Workflows import these as types only; the worker registers objects implementing them.
 *
 * Everything crossing this boundary is a plain JSON value: it is stored in the workflow history,
 * shown in the Web UI and replayed. So: no class instances, no Dates (epoch ms), no secrets.
 * Activity names are the seed's steps, because they are what a trader reads in the Web UI.
 *
 * Every activity here may run more than once for the same step (retries, worker crashes): each
 * implementation must be idempotent (client order ids from trade id + leg, trade log rows by id).
 */

export type { MarketSnapshot };

/** Where a strategist's answer was refused, and why (the trader reads `reason`). */
export interface DecisionRejection {
  stage: string;
  code: string;
  reason: string;
}

/** What askStrategist returns; mirrors src/strategist/decide.ts's Decision. */
export interface StrategistDecision {
  /** the validated command, or DO_NOTHING when the answer was refused or the strategist failed */
  command: AiCommand;
  source: 'llm' | 'rules';
  accepted: boolean;
  rejection?: DecisionRejection;
  /** the model's raw answer, for the journal (trimmed by the activity) */
  rawAnswer?: string;
}

export type OmsOutcome = 'EXECUTED' | 'REJECTED' | 'NOTHING_TO_DO';

/** What every OMS activity returns; mirrors src/oms's result. */
export interface OmsResult {
  outcome: OmsOutcome;
  /** the trade after the command, with `events` applied (null when there is none) */
  trade: Trade | null;
  /**
   * facts the OMS observed or caused while acting (e.g. an entry that filled at once, protection
   * placed). The workflow runs them through its own state machine from the trade as it was before
   * the call, to journal each transition and carry out its effects (which are idempotent, so work
   * the OMS already did is found, not repeated).
   */
  events: TradeEvent[];
  rejection?: { stage?: string; code: string; reason: string };
  /** money-relevant surprises a trader must see; the workflow writes each to the trade log */
  alerts?: string[];
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
}

export type TradeLogKind = 'DECISION' | 'ORDER' | 'TRANSITION' | 'REJECTION' | 'RECONCILE' | 'CONTROL';

/** One row of data/trade_log.csv. */
export interface TradeLogRow {
  /**
   * Deterministic and unique: `${workflowId}:${firstExecutionRunId}:${n}` (see src/workflows/tradeLog.ts).
   * appendTradeLog skips rows whose id it already wrote, so a retried activity never duplicates one.
   */
  id: string;
  /** epoch ms (workflow time) */
  at: number;
  symbol: string;
  kind: TradeLogKind;
  /** the workflow's command sequence number the row belongs to */
  sequence: number;
  tradeId?: string;
  status?: TradeStatus;
  /** command action (PLAN_TRADE, ...) or event type (ENTRY_FILLED, ...) or transition (PENDING->ACTIVE) */
  action?: string;
  /** strategist's reasoning, rejection reason, order details: one line of text */
  detail: string;
}

/** The spreadsheet's numeric columns, filled when the row is about a trade or an order. */
export interface TradeLogRowDetails {
  direction?: string;
  side?: string;
  orderType?: string;
  price?: number;
  quantity?: number;
  stopLoss?: number;
  takeProfits?: number[];
  pnl?: number;
  fees?: number;
  clientOrderId?: string;
  exchangeOrderId?: string;
}

/**
 * For reconcileSymbol, askStrategist and executeAiCommand, `trade` is the symbol's OPEN trade
 * (PENDING or ACTIVE) or null: a CLOSED or CANCELLED trade is never handed over as current. The
 * effect activities (ensureProtection, cancelPendingOrder, cancelProtection) get the trade as it is,
 * which may be over (e.g. cancelProtection of a CLOSED trade's leftover orders).
 */
export interface SymbolTraderActivities {
  /** Compare the trade the workflow believes in with the exchange, repair what can be repaired. */
  reconcileSymbol(input: { symbol: string; trade: Trade | null }): Promise<ReconcileResult>;

  /** Fresh market data for the prompt: ticker, candles per timeframe, indicators (compact). */
  fetchMarketData(input: { symbol: string }): Promise<MarketSnapshot>;

  /**
   * Ask the strategist for exactly one command, validated against the trade and market.
   * Never throws for a bad answer: that is DO_NOTHING with `rejection`. (If it throws anyway,
   * the workflow records the failure and the cycle does nothing.)
   */
  askStrategist(input: {
    symbol: string;
    sequence: number;
    trade: Trade | null;
    market: MarketSnapshot;
    /** open trades across all symbols as far as this workflow knows; for max_open_trades */
    openTradesCount?: number;
  }): Promise<StrategistDecision>;

  /**
   * The OMS's execute_ai_command. `sequence` is this workflow's command counter: a new trade's id
   * is tradeIdFor(symbol, sequence) and client order ids derive from the trade id + leg, so a
   * retried or re-run activity adopts the orders it already placed.
   */
  executeAiCommand(input: {
    symbol: string;
    sequence: number;
    command: AiCommand;
    trade: Trade | null;
    /** last price the strategist saw (sizing, and re-checks of the command) */
    lastPrice: number;
    /** the workflow's clock, epoch ms: the same on every attempt (trade createdAt) */
    now?: number;
    openTradesCount?: number;
  }): Promise<OmsResult>;

  /** Make sure `quantity` of the position rests under stop + targets on the exchange. */
  ensureProtection(input: { trade: Trade; quantity: number }): Promise<OmsResult>;

  /** cancel_pending_order: cancel the entry (and what is linked to it); filled quantity stays protected. */
  cancelPendingOrder(input: { trade: Trade; reason: string }): Promise<OmsResult>;

  /** Cancel the protection orders still resting for a trade that is over (e.g. the other targets' OCOs). */
  cancelProtection(input: { trade: Trade; reason: string }): Promise<OmsResult>;

  /**
   * Tell the order monitor about the trade's current orders: signal-with-start of the workflow
   * `order-monitor` (signal `watch`), so the monitor is started if it is not running. A trade that
   * is no longer open is dropped from the watch set by the monitor itself.
   */
  watchOrders(input: { trade: Trade }): Promise<void>;

  /** Append rows to the trade log; idempotent by row id. */
  appendTradeLog(input: { rows: TradeLogRow[] }): Promise<void>;
}

export interface OrderMonitorActivities {
  /**
   * Every fill, partial fill, cancel and expiry of these trades' orders, each with a stable event
   * id (the same exchange fact always gets the same id, so re-reporting after a crash is harmless).
   */
  trackOrders(input: { trades: Trade[] }): Promise<TradeEvent[]>;
}

export type AllActivities = SymbolTraderActivities & OrderMonitorActivities;
