import type { OmsLogger } from './logger';
import type { TradeEvent } from '../domain/events';
import { tradeQuantities } from '../domain/stateMachine';
import { isOpen, type OrderRef, type Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { Balance, ExchangeOrder } from '../exchange/types';
import { reconcileTrade, type Finding } from '../domain/reconciliation';
import { tradeOnExchange } from './tradeOnExchange';
import { tradeSequenceOf } from '../domain/newTrade';
import { applyEvents } from './applyEvents';
import { belongsTo, entryClientId, parseClientId, tradeKey } from './clientIds';
import { recoverTrade } from './recoverTrade';
import { baseAsset, entryEndedEvent } from './exchangeView';
import { ensureProtection } from './protection';
import { OrderTracker } from './trackOrders';
import type { ProtectionSettings } from './types';

/**
 * Reconciliation: what the system believes against what the exchange holds, reported and repaired.
 * Run when a symbol workflow starts or resumes (and whenever in doubt).
 *
 *   1. fills, cancels and expiries the trades have not seen yet are read (order tracking) and
 *      applied, so the rest works on the exchange's truth;
 *   2. our orders (client id `de-...`) that no open trade owns are grouped by trade and the trade is
 *      RECOVERED from exchange facts (recoverTrade): protection is never cancelled while the coins it
 *      protects are held (a symbol workflow stopped with an ACTIVE trade leaves it resting on
 *      purpose; started again without state it must adopt the trade, not strip it). Cancelled are
 *      only an orphan entry that never filled, and orders of a trade whose coins are gone from the
 *      account; orders that cannot be tied to a rebuildable trade are left resting and reported;
 *   3. orders that are not ours are left alone and reported;
 *   4. every ACTIVE trade gets protection for what it holds (placing only what is missing);
 *   5. a trade the exchange no longer knows (PENDING: its entry order does not exist; ACTIVE: no
 *      coins and no protection left) is reported with what the workflow should do, and a PENDING one
 *      gets an ENTRY_CANCELLED event so the state machine closes it;
 *   6. base balances are compared with the trades' open quantities;
 *   7. the highest trade sequence in each symbol's order history is reported (trade ids never repeat).
 */

export interface ForeignOrder {
  symbol: string;
  exchangeOrderId: string;
  clientOrderId: string;
  side: string;
  type: string;
  price: number | null;
  quantity: number;
}

export interface ReconcileReport {
  at: number;
  /** events found or produced; the workflow applies them like any order event */
  events: TradeEvent[];
  /** the trades with those events applied */
  trades: Trade[];
  orphansCancelled: Array<{ symbol: string; clientOrderId: string; kind: 'order' | 'list'; reason: string }>;
  /**
   * trades no open trade of the caller owned, rebuilt from the exchange (ACTIVE, protected for what
   * they hold); their events are in `events`. The caller adopts them (one open trade per symbol).
   */
  recovered: Trade[];
  /** our orders no trade owns that were left resting because cancelling them could strip held coins */
  orphansKept: Array<{ symbol: string; clientOrderId: string; reason: string }>;
  foreignOrders: ForeignOrder[];
  protectionPlaced: Array<{ tradeId: string; orders: OrderRef[] }>;
  unknownTrades: Array<{ tradeId: string; symbol: string; status: string; detail: string; action: 'CANCELLED' | 'CLOSE' }>;
  balanceMismatches: Array<{ tradeId: string; asset: string; expected: number; onExchange: number }>;
  /** what the comparison of each ACTIVE trade with the exchange found (src/domain/reconciliation.ts) */
  findings: Finding[];
  alerts: string[];
  /**
   * per symbol scanned, the highest trade sequence among our orders the exchange has ever seen (open
   * and over; 0 when none). A symbol workflow started fresh must continue above it: its trade ids,
   * and the client ids derived from them, would otherwise name an old trade's orders and be adopted.
   */
  highestSequences: Record<string, number>;
  /** true when nothing had to be repaired or reported */
  clean: boolean;
}

export interface ReconcileOptions {
  /** symbols to scan for open orders (default: every symbol, one request) */
  symbols?: string[];
  protection?: Partial<ProtectionSettings>;
  /** where the protection it places logs its alerts (the activity's logger) */
  log?: OmsLogger;
}

export async function reconcile(gateway: ExchangePort, believedOpen: readonly Trade[], opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    at: Date.now(),
    events: [],
    trades: [],
    orphansCancelled: [],
    recovered: [],
    orphansKept: [],
    foreignOrders: [],
    protectionPlaced: [],
    unknownTrades: [],
    balanceMismatches: [],
    findings: [],
    alerts: [],
    highestSequences: {},
    clean: true,
  };

  // 1. catch up with the exchange
  const tracked = await new OrderTracker(gateway).trackOrders(believedOpen);
  report.events.push(...tracked);
  let trades = believedOpen.map((t) => applyEvents(t, tracked));

  // 2-3. every open order on the account
  const openOrders = await openOrdersOf(gateway, opts.symbols);
  const owners = new Map(trades.filter(isOpen).map((t) => [tradeKey(t.id), t]));
  const orphans = new Map<string, ExchangeOrder[]>();
  for (const o of openOrders) {
    const parsed = parseClientId(o.clientOrderId);
    if (!parsed) {
      report.foreignOrders.push({
        symbol: o.symbol,
        exchangeOrderId: o.exchangeOrderId,
        clientOrderId: o.clientOrderId,
        side: o.side,
        type: o.type,
        price: o.price,
        quantity: o.quantity,
      });
      continue;
    }
    if (owners.has(parsed.key)) continue;
    const group = `${o.symbol} ${parsed.key}`;
    orphans.set(group, [...(orphans.get(group) ?? []), o]);
  }
  for (const [group, resting] of orphans) {
    const [symbol, key] = group.split(' ') as [string, string];
    // coins the symbol's other open trades hold are not this trade's
    const heldByOthers = [...trades.filter(isOpen), ...report.recovered]
      .filter((t) => t.symbol === symbol)
      .reduce((s, t) => s + tradeQuantities(t).open, 0);
    const r = await recoverTrade(gateway, key, symbol, resting, { heldByOthers, protection: opts.protection, ...(opts.log ? { log: opts.log } : {}) });
    report.events.push(...r.events);
    report.orphansCancelled.push(...r.cancelled);
    report.orphansKept.push(...r.kept);
    report.alerts.push(...r.alerts);
    if (r.protectionPlaced.length > 0) report.protectionPlaced.push({ tradeId: key, orders: r.protectionPlaced });
    if (r.trade) report.recovered.push(r.trade);
  }

  // 4-5. each trade believed open
  const next: Trade[] = [];
  let balances: Map<string, Balance> | undefined;
  const accountLook = async (symbol: string) => {
    balances ??= await gateway.fetchBalances();
    const [history, ticker] = await Promise.all([gateway.fetchOrderHistory(symbol), gateway.fetchTicker(symbol)]);
    return { balances, history, at: ticker.timestamp };
  };
  for (const trade of trades) {
    if (!isOpen(trade)) {
      next.push(trade);
      continue;
    }
    if (trade.status === 'PENDING') {
      // a sliced trade has one entry per slice: it is unknown only when the exchange has none of them
      const refs = trade.orders.filter((o) => o.role === 'ENTRY' && belongsTo(o.clientOrderId, trade.id)).map((o) => o.clientOrderId);
      const ids = refs.length > 0 ? refs : [entryClientId(trade.id)];
      const found = await Promise.all(ids.map((id) => gateway.findOrder(trade.symbol, id)));
      if (found.every((o) => !o)) {
        // one event for the whole entry (no slice named): nothing of it can fill any more
        const event: TradeEvent = { ...entryEndedEvent(trade, ids[0]!, 'unknown', 'reconciliation: the exchange has no entry order for this trade', Date.now()) };
        delete (event as { entryOrder?: string }).entryOrder;
        report.events.push(event);
        report.unknownTrades.push({ tradeId: trade.id, symbol: trade.symbol, status: trade.status, detail: `entry order ${ids.join(', ')} does not exist on the exchange`, action: 'CANCELLED' });
        next.push(applyEvents(trade, [event]));
        continue;
      }
      next.push(trade);
      continue;
    }
    // the comparison and the decision are pure (src/domain/reconciliation.ts); here they are carried out
    const heldByOthers = [...trades.filter((t) => isOpen(t) && t.id !== trade.id), ...report.recovered]
      .filter((t) => t.symbol === trade.symbol)
      .reduce((s, t) => s + tradeQuantities(t).open, 0);
    const verdict = reconcileTrade(trade, await tradeOnExchange(gateway, trade, { ...(await accountLook(trade.symbol)), openOrders, heldByOthers }));
    report.events.push(...verdict.events);
    report.findings.push(...verdict.findings);
    let updated = applyEvents(trade, verdict.events);
    if (updated.status === 'ACTIVE') {
      const outcome = await ensureProtection(gateway, updated, { protection: opts.protection, ...(opts.log ? { log: opts.log } : {}) });
      report.events.push(...outcome.events);
      report.alerts.push(...outcome.alerts);
      if (outcome.placed.length > 0) report.protectionPlaced.push({ tradeId: trade.id, orders: outcome.placed });
      updated = applyEvents(updated, outcome.events);
    }
    next.push(updated);
  }
  trades = next;

  // 6. balances against open quantities
  const active = [...trades, ...report.recovered].filter((t) => t.status === 'ACTIVE');
  if (active.length > 0) {
    const balances = await gateway.fetchBalances();
    for (const t of active) {
      const asset = baseAsset(t.symbol);
      const expected = tradeQuantities(t).open;
      const onExchange = balances.get(asset)?.total ?? 0;
      if (onExchange < expected * (1 - 1e-6)) report.balanceMismatches.push({ tradeId: t.id, asset, expected, onExchange });
    }
  }

  // 7. the highest trade sequence each symbol has used
  const scanned = opts.symbols ?? [...new Set([...believedOpen.map((t) => t.symbol), ...openOrders.map((o) => o.symbol)])];
  for (const symbol of scanned) {
    report.highestSequences[symbol] = await highestSequence(gateway, symbol, [...openOrders, ...report.recovered.map((t) => t.orders).flat()]);
  }

  report.trades = trades;
  report.clean =
    report.events.length === 0 &&
    report.orphansCancelled.length === 0 &&
    report.recovered.length === 0 &&
    report.orphansKept.length === 0 &&
    report.foreignOrders.length === 0 &&
    report.protectionPlaced.length === 0 &&
    report.unknownTrades.length === 0 &&
    report.balanceMismatches.length === 0 &&
    report.findings.length === 0;
  return report;
}

/**
 * The symbol's most recent orders (up to 1000, the exchange's limit) are enough: sequences only
 * grow, so the newest orders carry the highest. Trade keys that are hashes (symbols too long for a
 * readable client id) carry no sequence and are not counted.
 */
async function highestSequence(gateway: ExchangePort, symbol: string, known: ReadonlyArray<{ clientOrderId: string }>): Promise<number> {
  let highest = 0;
  for (const o of [...known, ...(await gateway.fetchOrderHistory(symbol))]) {
    const key = parseClientId(o.clientOrderId)?.key;
    const sequence = key === undefined ? null : tradeSequenceOf(key, symbol);
    if (sequence !== null && sequence > highest) highest = sequence;
  }
  return highest;
}

async function openOrdersOf(gateway: ExchangePort, symbols?: string[]): Promise<ExchangeOrder[]> {
  if (!symbols) return gateway.fetchOpenOrders();
  const all: ExchangeOrder[] = [];
  for (const s of symbols) all.push(...(await gateway.fetchOpenOrders(s)));
  return all;
}
