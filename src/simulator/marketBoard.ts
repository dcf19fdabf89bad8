import type { Candle } from '../domain/market';
import { BinanceError, invalidSymbol, mandatory } from './errors';
import { marketSpec, round8, type MarketSpec } from './markets';
import { firesOnFall } from './orderRules';
import type { OrderType, Side } from './types';

/**
 * What the engine knows of each market: its filters, the last price and the candle being matched.
 * Candles get a sequence number so per-candle fill limits can tell a new candle from the same one.
 */
export class MarketBoard {
  private readonly specs = new Map<string, MarketSpec>();
  private readonly lastPrice = new Map<string, number>();
  private readonly lastCandle = new Map<string, Candle>();
  private readonly candleSeq = new Map<string, number>();
  private seq = 0;

  constructor(symbols: string[]) {
    for (const s of symbols) this.specs.set(s, marketSpec(s));
  }

  symbols(): string[] {
    return [...this.specs.keys()];
  }
  spec(symbol: string | undefined): MarketSpec {
    if (!symbol) throw mandatory('symbol');
    const spec = this.specs.get(symbol);
    if (!spec) throw invalidSymbol();
    return spec;
  }
  price(symbol: string): number | undefined {
    return this.lastPrice.get(symbol);
  }
  candle(symbol: string): Candle | undefined {
    return this.lastCandle.get(symbol);
  }
  candleNumber(symbol: string): number | undefined {
    return this.candleSeq.get(symbol);
  }
  /** The simulated top of book: bid at the last price, ask one tick above. */
  book(symbol: string): { bid: number; ask: number } {
    const last = this.lastPrice.get(symbol);
    if (last === undefined) throw new BinanceError(400, -1013, 'Market is closed.');
    const tick = this.spec(symbol).tickSize;
    return { bid: last, ask: round8(last + tick) };
  }

  /** Starts matching a new candle (the last price moves only when it is done: see close). */
  open(symbol: string, candle: Candle): void {
    this.lastCandle.set(symbol, candle);
    this.candleSeq.set(symbol, ++this.seq);
  }
  close(symbol: string, price: number): void {
    this.lastPrice.set(symbol, price);
  }

  stopWouldFireNow(symbol: string, side: Side, type: OrderType, stopPrice: number): boolean {
    const last = this.lastPrice.get(symbol)!;
    return firesOnFall({ side, type }) ? last <= stopPrice : last >= stopPrice;
  }

  wouldTake(symbol: string, side: Side, price: number): boolean {
    const { bid, ask } = this.book(symbol);
    return side === 'BUY' ? price >= ask : price <= bid;
  }
}
