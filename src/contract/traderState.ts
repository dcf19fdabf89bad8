import type { TradeLogRow } from '../domain/tradeLogRow';
import type { StrategistDecision } from './results';
import type { AiCommand } from '../domain/commands';
import type { SymbolBook } from '../domain/envelope/entryRules';
import type { SymbolEntryRules } from '../domain/envelope/limits';
import type { Trade, TradeStatus } from '../domain/trade';
import type { HaltNotice } from './portfolioState';
import type { FirstCycle } from '../domain/cycleSchedule';

/**
 * The whole state of one symbol's trader. It is what the `state` query returns and what a run
 * hands to the next one on continue-as-new, so it is plain JSON and complete: nothing the next
 * run needs may live outside it.
 */
export type TraderPhase = 'RECONCILING' | 'WAITING' | 'IN_CYCLE' | 'STOPPING' | 'STOPPED';

export interface DecisionSummary {
  sequence: number;
  /** workflow time the strategist answered, epoch ms */
  at: number;
  action: AiCommand['action'];
  command: AiCommand;
  source: StrategistDecision['source'] | 'workflow';
  accepted: boolean;
  rejection?: StrategistDecision['rejection'];
  /** what the OMS made of it */
  outcome?: 'EXECUTED' | 'REJECTED' | 'NOTHING_TO_DO' | 'NOT_EXECUTED' | 'FAILED';
  outcomeDetail?: string;
}

export interface SymbolTraderState {
  symbol: string;
  mode: string;
  phase: TraderPhase;
  /** the symbol's current (or most recent) trade */
  trade: Trade | null;
  /**
   * the last command sequence number handed out; a cycle takes the next one. Never below the highest
   * sequence the exchange has seen for the symbol (reconciliation reports it): trade ids, and the
   * client order ids derived from them, must never repeat, also after a fresh start.
   */
  sequence: number;
  /** when the next cycle is due, epoch ms (workflow time); carried over continue-as-new */
  nextCycleAt: number;
  lastCycleAt: number | null;
  lastDecision: DecisionSummary | null;
  /** the market's last price as the latest cycle's market data showed it (for unrealized PnL) */
  lastPrice?: {
    price: number;
    /** market time, epoch ms */
    at: number;
    /** the snapshot's timeframes (for the timeline's summary of the next market data step) */
    timeframes?: string[];
  };
  /** order event ids already applied (bounded, most recent last); survives continue-as-new */
  seenEventIds: string[];
  /** next trade log row number; row ids are `<workflowId>:<firstExecutionRunId>:<n>` */
  journalSeq: number;
  /** how many runs (continue-as-new generations) this trader has had */
  runs: number;
  lastError: string | null;
  stopRequested: boolean;
  /** a step failed for good: the next cycle starts by reconciling with the exchange */
  reconcileNeeded?: boolean;
  /** the trade log's clock: the newest exchange (market) time seen and the workflow time it was seen at */
  marketClock?: { at: number; seenAt: number };
  /** when the open trade is next compared with the exchange (continuous reconciliation), epoch ms */
  nextReconcileAt?: number;
  /** the latest reconciliation: when, why, and what it found (empty: the exchange agreed) */
  lastReconciliation?: { at: number; reason: string; findings: Array<{ code: string; detail: string }> };
  /** trade log rows not yet written (the journal was unavailable); written on the next flush */
  pendingRows?: TradeLogRow[];
  /** the risk envelope's part in this trader (absent for traders started without one) */
  envelope?: TraderEnvelopeState;
}

export interface TraderEnvelopeState {
  /** the trade id whose portfolio slot this trader holds (granted before placing, until it ends) */
  heldSlot: { tradeId: string } | null;
  /** slots to give back, kept until the portfolio has them (a failed release is retried) */
  releases: Array<{ tradeId: string; reason: string }>;
  /** trade ids already given back or never needing one (bounded) */
  released: string[];
  /** cooldown and trades-per-day bookkeeping */
  book: SymbolBook;
  /** the portfolio's latest halt notice, as received */
  halt: HaltNotice | null;
}

/** what the envelope asks of a trader: its own rules, and whether slots come from the portfolio */
export interface TraderEnvelopeInput {
  rules: SymbolEntryRules;
  /** ask the `portfolio` workflow for a slot before every new trade */
  portfolio: boolean;
}

export interface SymbolTraderInput {
  /** canonical form, e.g. BTCUSDT */
  symbol: string;
  cycleIntervalMs: number;
  /** paper | testnet | live | replay: shown as a search attribute, passed on to nothing else */
  mode: string;
  /** continue-as-new after this many cycles in one run (default 200) */
  maxCyclesPerRun?: number;
  /** the risk envelope (cooldown, trades per day, entry expiry, portfolio slots); absent: none */
  envelope?: TraderEnvelopeInput;
  /** how often an open trade is compared with the exchange (default 5 minutes), besides on request */
  reconcileIntervalMs?: number;
  /**
   * cycles on the candle grid (UTC multiples of the interval) plus the symbol's own offset, a hash
   * of the symbol below maxOffsetMs (src/domain/cycleSchedule.ts); absent: the grid starts at the
   * trader's start and the first cycle runs at once, as before
   */
  cycleAlignment?: CycleAlignment;
  /** set by continue-as-new only */
  state?: SymbolTraderState;
}

export interface CycleAlignment {
  /** aligned: the first cycle at the first candle close (+ offset) after the start; immediate: at once */
  firstCycle: FirstCycle;
  /** the symbol's offset after each candle close stays below this (0: none); below cycleIntervalMs */
  maxOffsetMs: number;
}

export interface CancelOrderSignal {
  reason?: string;
}

/** `reconcileNow`: compare the open trade with the exchange at once (e.g. after a stream reconnect) */
export interface ReconcileRequest {
  /** shown in the trade log and the state, e.g. "user-data stream reconnected" */
  reason?: string;
}

export interface StopSignal {
  /** cancel a PENDING entry before stopping (an ACTIVE position always keeps its protection) */
  cancelPending?: boolean;
}

/** what a cancelEntry or stopTrader Update did, in a line a person reads */
export interface ControlOutcome {
  /** CANCELLED: the entry is cancelled; NOT_CANCELLED: it was not (filled first, or the exchange failed); STOPPED */
  result: 'CANCELLED' | 'NOT_CANCELLED' | 'STOPPED';
  message: string;
  /** the trade afterwards, if there is one */
  trade: { id: string; status: TradeStatus } | null;
}

export const SEEN_EVENT_IDS_LIMIT = 1000;

export type { TradeStatus };
