import type { PlanTradeCommand } from '../domain/commands';
import { afterTradeEnded, countEntry, EMPTY_SYMBOL_BOOK, entryExpired, entryRefusal, type SymbolBook } from '../domain/envelope/entryRules';
import { flattenResultRow, haltSteps, type HaltNotice, type HaltRow } from '../domain/envelope/haltReaction';
import { assessHalt, markEquity, type EquityBook, type Halt } from '../domain/envelope/killSwitch';
import type { OmsResult } from '../domain/omsResult';
import type { PortfolioLimits, SymbolEntryRules } from '../domain/envelope/limits';
import { markToMarket, plannedEntryNotional } from '../domain/envelope/notional';
import { decideSlot, type Grants, type SlotDecision, type SlotRequest } from '../domain/envelope/slots';
import { tradeIdFor } from '../domain/newTrade';
import { splitSymbol } from '../domain/symbols';
import { isOpen, type Trade } from '../domain/trade';
import type { BacktestJournal } from './backtestJournal';
import type { SimulatedExchange } from './exchange/simulatedExchange';

/**
 * The live risk envelope in a backtest: the portfolio workflow's part (slots, the kill switch) and
 * the symbol trader's part (cooldown, trades per day, entry expiry, a halt cancelling the PENDING
 * entry), as thin shells over the same pure rules of src/domain/envelope that
 * src/workflows/portfolio.ts and src/workflows/traderEnvelope.ts call. In process nothing can be
 * lost between a grant and its release, so the live reconciliation of grants has nothing to do
 * here. Differences from live: equity is read after every matched candle (live: every
 * risk.equity_check_interval of wall time) and an entry expires at the first candle close at or
 * after its deadline (live: the trader wakes at the deadline); a DRAWDOWN halt lasts to the end
 * of the run, there being nobody to `resume`.
 */

export interface BacktestEnvelopeOptions {
  rules: SymbolEntryRules;
  portfolio: PortfolioLimits;
}

export interface Refusal {
  code: string;
  reason: string;
}

/** the portfolio workflow's state and handlers, for one account */
export class BacktestPortfolio {
  grants: Grants = {};
  book: EquityBook | null = null;
  halt: Halt | null = null;
  /** every halt of the run, in order (report.json) */
  readonly halts: Halt[] = [];
  readonly #released = new Set<string>();

  constructor(
    readonly limits: PortfolioLimits,
    private readonly journal: BacktestJournal,
  ) {}

  /** one equity reading: the kill switch's verdict; a new halt is returned for the traders to act on (as the portfolio workflow's notice) */
  read(exchange: SimulatedExchange, quote: string, at: number): HaltNotice | null {
    const { equity, detail } = accountEquity(exchange, quote);
    this.book = markEquity(this.book, { equity, at });
    const { halt, change } = assessHalt(this.book, this.halt, this.limits);
    this.halt = halt;
    if (change?.type === 'HALTED') {
      this.journal.add('CONTROL', `HALTED (${change.halt.kind}): ${change.halt.reason}; equity ${detail()}`, undefined, `HALTED_${change.halt.kind}`);
      this.halts.push(change.halt);
      return { kind: change.halt.kind, reason: change.halt.reason, flatten: this.limits.flattenOnHalt };
    }
    if (change?.type === 'LIFTED') this.journal.add('CONTROL', `RESUMED: ${change.why}; the halt was: ${change.previous.reason}`, undefined, 'RESUMED');
    return null;
  }

  /** the requestSlot Update's handler */
  requestSlot(req: SlotRequest, now: number): SlotDecision {
    if (this.#released.has(req.tradeId)) return { granted: false, code: 'TRADE_ENDED', reason: `trade ${req.tradeId} already ended and gave its slot back` };
    const decision = decideSlot(this.grants, req, { limits: this.limits, equity: this.book?.lastEquity ?? null, halt: this.halt, now });
    if (decision.granted && !decision.repeated) this.grants[req.tradeId] = decision.grant;
    return decision;
  }

  /** the releaseSlot Update's handler */
  releaseSlot(tradeId: string, reason: string): void {
    this.#released.add(tradeId);
    const grant = this.grants[tradeId];
    if (!grant) return;
    delete this.grants[tradeId];
    this.journal.add('CONTROL', `slot of ${tradeId} (${grant.symbol}) released: ${reason}`, undefined, 'SLOT_RELEASED');
  }
}

/** what the symbol trader does for the envelope; the OMS's cancel comes in as a port */
export interface SymbolEnvelopePorts {
  journal(kind: 'CONTROL' | 'ORDER' | 'REJECTION', detail: string, trade?: Trade, action?: string): void;
  /** the OMS cancel of the PENDING entry, its result through the trader core */
  cancelPending(trade: Trade, reason: string): Promise<void>;
  /** flatten_on_halt: the OMS's flattenPosition step (its result not yet taken) */
  flattenPosition(trade: Trade, reason: string): Promise<OmsResult>;
  /** an OMS result through the trader core */
  adopt(result: OmsResult): Promise<void>;
  trade(): Trade | null;
  sequence(): number;
}

/** one symbol trader's part (TraderEnvelope live) */
export class SymbolEnvelope {
  book: SymbolBook = EMPTY_SYMBOL_BOOK;
  #heldSlot: string | null = null;
  readonly #released = new Set<string>();

  constructor(
    readonly symbol: string,
    private readonly rules: SymbolEntryRules,
    private readonly portfolio: BacktestPortfolio,
    private readonly exchange: SimulatedExchange,
    private readonly ports: SymbolEnvelopePorts,
  ) {}

  /** at a cycle's start and after every matched candle: the engine cancels an entry that waited too long */
  async expireEntry(now: number): Promise<void> {
    const trade = this.ports.trade();
    if (!trade || !entryExpired(trade, now, this.rules)) return;
    const minutes = (ms: number) => `${Math.round(ms / 600) / 100} min`;
    const reason = `entry expired: PENDING for ${minutes(now - trade.createdAt)}, entry_timeout is ${minutes(this.rules.entryTimeoutMs)}`;
    this.ports.journal('CONTROL', `${reason}; cancelling it`, trade, 'ENTRY_EXPIRED');
    await this.ports.cancelPending(trade, reason);
  }

  /** may this PLAN_TRADE be placed? The symbol's rules first, then a slot from the portfolio */
  async admit(sequence: number, command: PlanTradeCommand, now: number): Promise<Refusal | null> {
    const own = entryRefusal(this.book, this.rules, sequence, now);
    if (own) return own;
    const tradeId = tradeIdFor(this.symbol, sequence);
    const free = (await this.exchange.fetchBalance(splitSymbol(this.symbol).quote)).free;
    const decision = this.portfolio.requestSlot({ tradeId, symbol: this.symbol, sequence, notional: plannedEntryNotional(free, command.trade_setup.position_size_percent) }, now);
    if (!decision.granted) return { code: decision.code, reason: decision.reason };
    this.#heldSlot = tradeId;
    return null;
  }

  /** after results and events: an entry counts for its day, an ended trade gives its slot back (a stop-out starts the cooldown) */
  settle(now: number): void {
    const trade = this.ports.trade();
    if (trade && isOpen(trade)) this.book = countEntry(this.book, trade.id, now);
    if (trade && (trade.status === 'CLOSED' || trade.status === 'CANCELLED')) {
      this.book = afterTradeEnded(this.book, trade, this.ports.sequence(), this.rules);
      this.#release(trade.id, `trade ${trade.id} is ${trade.status}`);
      if (this.#heldSlot === trade.id) this.#heldSlot = null;
    }
    if (this.#heldSlot && this.#heldSlot !== trade?.id) {
      this.#release(this.#heldSlot, `trade ${this.#heldSlot} was not placed`);
      this.#heldSlot = null;
    }
  }

  /** the portfolio HALTED: the live trader's reaction (src/domain/envelope/haltReaction.ts), flatten_on_halt being always available here */
  async onHalt(halt: HaltNotice): Promise<void> {
    for (const step of haltSteps(() => this.ports.trade(), halt, { mayFlatten: () => true })) {
      if ('row' in step) this.#journal(step.row);
      if (step.step === 'CANCEL_ENTRY' || (step.step === 'FLATTEN' && step.cancelRemainder)) await this.ports.cancelPending(step.trade, step.reason);
      if (step.step === 'CLOSE_AT_MARKET') {
        // the OMS's flattenPosition: protection cancelled, the held quantity sold at market under one
        // deterministic client id, protection restored if the exchange refuses
        const result = await this.ports.flattenPosition(step.trade, step.reason);
        this.#journal(flattenResultRow(result, step.trade));
        await this.ports.adopt(result);
      }
    }
  }

  #journal(row: HaltRow): void {
    this.ports.journal(row.kind, row.detail, row.trade, row.action);
  }

  #release(tradeId: string, reason: string): void {
    if (this.#released.has(tradeId)) return;
    this.#released.add(tradeId);
    this.portfolio.releaseSlot(tradeId, reason);
  }
}

/** the account's equity as the portfolio's readAccountEquity computes it: balances marked to last prices */
export function accountEquity(exchange: SimulatedExchange, quote: string): { equity: number; detail: () => string } {
  const account = exchange.engine.account('backtest')!;
  const balances = Object.entries(account.balances).map(([asset, b]) => ({ asset, total: b.free + b.locked }));
  const prices = new Map<string, number>();
  for (const b of balances) {
    if (b.asset === quote) continue;
    const price = exchange.engine.price(`${b.asset}${quote}`);
    if (price !== undefined) prices.set(b.asset, price);
  }
  const { equity } = markToMarket(balances, quote, prices);
  // the readable line only when a halt is journaled: equity is read after every candle
  const detail = () => {
    const parts = balances.filter((b) => b.total > 0).map((b) => (b.asset === quote ? `${b.asset} ${round(b.total)}` : `${b.asset} ${b.total}@${prices.get(b.asset) ?? '?'}`));
    return `${parts.join(' + ') || 'empty'} = ${round(equity)} ${quote}`;
  };
  return { equity, detail };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
