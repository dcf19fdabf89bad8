import type { EngineConfig } from './engineTypes';
import type { Ledger } from './ledger';
import type { MarketBoard } from './marketBoard';
import { floorToStep, round8, type MarketSpec } from './markets';
import type { SimOrder, SimState, SimTrade } from './types';
import { SILENT_SINK, type OrderChangeSink } from './userData';

/** What order lists must hear from fills: a leg came alive, or a working order filled completely. */
export interface FillEvents {
  firstFill(order: SimOrder, now: number): void;
  filled(order: SimOrder, now: number): void;
}

/**
 * Executes fills: settles balances and fees, records trades, and caps each order at its share of
 * the current candle's volume (one order cannot take more liquidity than the market showed).
 */
export class Fills {
  /** volume one order already took from the current candle of its symbol (candles by sequence number) */
  private readonly taken = new Map<number, { candle: number; qty: number }>();

  constructor(
    private readonly state: SimState,
    private readonly cfg: EngineConfig,
    private readonly board: MarketBoard,
    private readonly ledger: Ledger,
    private readonly events: FillEvents,
    private readonly sink: OrderChangeSink = SILENT_SINK,
  ) {}

  /** How much an order may still take from its symbol's current candle. */
  capacity(order: SimOrder): number {
    const candle = this.board.candle(order.symbol);
    if (!candle) return 0;
    const spec = this.board.spec(order.symbol);
    const cap = floorToStep(Math.max(0, candle.volume * this.cfg.participation - this.takenThisCandle(order)), spec.stepSize);
    return Math.min(cap, round8(order.origQty - order.executedQty));
  }

  /** Takes liquidity at once, as much as the candle allows. */
  takeNow(order: SimOrder, price: number, now: number): void {
    const qty = this.capacity(order);
    if (qty > 0) this.fill(order, qty, price, false, now);
  }

  /** Ends an open order without a fill and gives back its reserve. */
  finish(order: SimOrder, status: 'CANCELED' | 'EXPIRED', now: number): void {
    order.status = status;
    order.updateTime = now;
    this.taken.delete(order.orderId);
    this.ledger.releaseIfDone(order);
    this.sink.order(order, status, now);
  }

  fill(order: SimOrder, qty: number, price: number, isMaker: boolean, now: number): void {
    const spec = this.board.spec(order.symbol);
    const seq = this.board.candleNumber(order.symbol);
    if (seq !== undefined) this.taken.set(order.orderId, { candle: seq, qty: round8(this.takenThisCandle(order) + qty) });
    const quoteQty = round8(qty * price);
    this.ledger.unlockFilled(order, qty);
    const { commission, commissionAsset } = this.settle(order, spec, qty, quoteQty);
    const trade: SimTrade = {
      account: order.account,
      symbol: order.symbol,
      id: this.state.nextTradeId++,
      orderId: order.orderId,
      orderListId: order.orderListId,
      price,
      qty,
      quoteQty,
      commission,
      commissionAsset,
      time: now,
      isBuyer: order.side === 'BUY',
      isMaker,
    };
    this.state.trades.push(trade);
    const firstFill = order.executedQty === 0;
    order.executedQty = round8(order.executedQty + qty);
    order.cummulativeQuoteQty = round8(order.cummulativeQuoteQty + quoteQty);
    order.status = order.executedQty + 1e-12 >= order.origQty ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = now;
    if (order.status === 'FILLED') {
      this.taken.delete(order.orderId);
      this.ledger.releaseIfDone(order);
    }
    this.sink.order(order, 'TRADE', now, trade);
    if (firstFill) this.events.firstFill(order, now);
    if (order.status === 'FILLED') this.events.filled(order, now);
  }

  private takenThisCandle(order: SimOrder): number {
    const t = this.taken.get(order.orderId);
    return t && t.candle === this.board.candleNumber(order.symbol) ? t.qty : 0;
  }

  /** Moves the traded assets and charges the fee as Binance does without BNB (or all in quote). */
  private settle(order: SimOrder, spec: MarketSpec, qty: number, quoteQty: number): { commission: number; commissionAsset: string } {
    const base = this.ledger.balance(order.account, spec.baseAsset);
    const quote = this.ledger.balance(order.account, spec.quoteAsset);
    if (order.side === 'SELL') {
      base.free = round8(base.free - qty);
      const commission = round8(quoteQty * this.cfg.feeRate);
      quote.free = round8(quote.free + quoteQty - commission);
      return { commission, commissionAsset: spec.quoteAsset };
    }
    quote.free = round8(quote.free - quoteQty);
    if (this.cfg.feeAsset === 'received') {
      const commission = round8(qty * this.cfg.feeRate);
      base.free = round8(base.free + qty - commission);
      return { commission, commissionAsset: spec.baseAsset };
    }
    const commission = round8(quoteQty * this.cfg.feeRate);
    base.free = round8(base.free + qty);
    quote.free = round8(quote.free - commission);
    return { commission, commissionAsset: spec.quoteAsset };
  }
}
