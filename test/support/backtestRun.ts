import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { doNothing, type AiCommand } from '../../src/domain/commands';
import type { Candle } from '../../src/domain/market';
import type { ExitFill, Fill, Trade } from '../../src/domain/trade';
import { candleFilePath, readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import type { BacktestRun, DecisionRecord, EquityPoint, OrderRecord, StrategistRun, SymbolRun } from '../../src/backtest/runTypes';

/**
 * A BacktestRun built by hand for report tests: the real BTCUSDT and ETHUSDT 15m candles of
 * 2021-01-04 to 2021-01-07 and a few trades with round numbers, so every figure can be checked by
 * hand. Equity is marked to market at every candle close from the trades' own fills.
 *
 * BTCUSDT  T1 stop:    buy 0.03 @ 32800 (fee 0.984), stop 0.03 @ 32000 (fee 0.96)   PnL -25.944
 *          T2 targets: buy 0.03 @ 31800 (fee 0.954), TP1 0.015 @ 33000 (fee 0.495),
 *                      TP2 0.015 @ 34000 (fee 0.51), stop adjusted to 32000        PnL +49.041
 *          T3 cancelled pending entry @ 34000
 * ETHUSDT  T4 target:  buy 1 @ 1000 (fee 1), TP1 1 @ 1080 (fee 1.08)               PnL +77.92
 *          T5 open:    buy 1 @ 1100 (fee 1.1), still ACTIVE at the end
 */

export const FROM = Date.UTC(2021, 0, 4);
export const TO = Date.UTC(2021, 0, 7);
export const START = 10_000;
export const FEE = 0.001;
const TF = 15 * 60_000;
const at = (day: number, h: number, m = 0) => Date.UTC(2021, 0, day, h, m);

export function windowCandles(symbol: string): { candles: Candle[]; path: string } {
  const path = candleFilePath(sharedCandlesDir(), symbol, '15m');
  const candles = readCandleFile(path).filter((c) => c.timestamp >= FROM && c.timestamp < TO);
  return { candles, path };
}

function fill(id: string, time: number, price: number, quantity: number): Fill {
  return { eventId: id, at: time, price, quantity, fee: Math.round(price * quantity * FEE * 1e8) / 1e8 };
}
function exit(id: string, time: number, price: number, quantity: number, reason: ExitFill['reason'], targetIndex?: number): ExitFill {
  return { ...fill(id, time, price, quantity), reason, ...(targetIndex === undefined ? {} : { targetIndex }) };
}

function trade(partial: Partial<Trade> & Pick<Trade, 'id' | 'symbol' | 'status' | 'entryPrice' | 'stopLossPrice' | 'takeProfitPrices' | 'quantity' | 'createdAt'>): Trade {
  return { direction: 'LONG', positionSizePercent: 10, entryFills: [], exitFills: [], orders: [], ...partial };
}

export function btcTrades(): Trade[] {
  return [
    trade({
      id: 'T-BTCUSDT-1', symbol: 'BTCUSDT', status: 'CLOSED', entryPrice: 32800, stopLossPrice: 32000, takeProfitPrices: [34000], quantity: 0.03,
      createdAt: at(4, 6), activatedAt: at(4, 6, 15), closedAt: at(4, 12),
      entryFills: [fill('e1', at(4, 6, 15), 32800, 0.03)], exitFills: [exit('x1', at(4, 12), 32000, 0.03, 'STOP')],
      realizedPnl: -25.944, fees: 1.944, closeReason: 'stop hit',
    }),
    trade({
      id: 'T-BTCUSDT-2', symbol: 'BTCUSDT', status: 'CLOSED', entryPrice: 31800, stopLossPrice: 32000, takeProfitPrices: [33000, 34000], quantity: 0.03,
      createdAt: at(5, 12), activatedAt: at(5, 12, 15), closedAt: at(6, 0, 30),
      entryFills: [fill('e2', at(5, 12, 15), 31800, 0.03)],
      exitFills: [exit('x2a', at(5, 18, 30), 33000, 0.015, 'TARGET', 0), exit('x2b', at(6, 0, 30), 34000, 0.015, 'TARGET', 1)],
      realizedPnl: 49.041, fees: 1.959, closeReason: 'all targets hit',
    }),
    trade({
      id: 'T-BTCUSDT-3', symbol: 'BTCUSDT', status: 'CANCELLED', entryPrice: 34000, stopLossPrice: 33300, takeProfitPrices: [36000], quantity: 0.03,
      createdAt: at(6, 12), entryEndedAt: at(6, 14), closedAt: at(6, 14), closeReason: 'cancelled by the strategist',
    }),
  ];
}

export function ethTrades(): Trade[] {
  return [
    trade({
      id: 'T-ETHUSDT-1', symbol: 'ETHUSDT', status: 'CLOSED', entryPrice: 1000, stopLossPrice: 960, takeProfitPrices: [1080], quantity: 1,
      createdAt: at(4, 18), activatedAt: at(4, 18, 15), closedAt: at(5, 0, 30),
      entryFills: [fill('e4', at(4, 18, 15), 1000, 1)], exitFills: [exit('x4', at(5, 0, 30), 1080, 1, 'TARGET', 0)],
      realizedPnl: 77.92, fees: 2.08, closeReason: 'all targets hit',
    }),
    trade({
      id: 'T-ETHUSDT-2', symbol: 'ETHUSDT', status: 'ACTIVE', entryPrice: 1100, stopLossPrice: 1060, takeProfitPrices: [1250], quantity: 1,
      createdAt: at(6, 6), activatedAt: at(6, 6, 15), entryFills: [fill('e5', at(6, 6, 15), 1100, 1)],
    }),
  ];
}

function orders(trades: readonly Trade[]): OrderRecord[] {
  const out: OrderRecord[] = [];
  for (const t of trades) {
    out.push({ at: t.createdAt, tradeId: t.id, clientOrderId: `${t.id}-E`, type: 'LIMIT', side: 'buy', price: t.entryPrice, quantity: t.quantity });
    const first = t.entryFills[0];
    if (!first) continue;
    const initialStop = t.id === 'T-BTCUSDT-2' ? 31000 : t.stopLossPrice;
    t.takeProfitPrices.forEach((tp, i) => {
      const q = t.quantity / t.takeProfitPrices.length;
      out.push({ at: first.at, tradeId: t.id, clientOrderId: `${t.id}-O${i}`, type: 'OCO', side: 'sell', price: tp, stopPrice: initialStop, quantity: q });
    });
    if (t.id === 'T-BTCUSDT-2') {
      out.push({ at: at(5, 19), tradeId: t.id, clientOrderId: `${t.id}-O1b`, type: 'OCO', side: 'sell', price: 34000, stopPrice: 32000, quantity: 0.015 });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

function decisions(symbol: string, candles: readonly Candle[], trades: readonly Trade[]): DecisionRecord[] {
  const special = new Map<number, DecisionRecord>();
  for (const t of trades) {
    const command: AiCommand = {
      action: 'PLAN_TRADE',
      trade_setup: { symbol, direction: 'LONG', entry_price: t.entryPrice, stop_loss_price: t.stopLossPrice, take_profit_prices: t.takeProfitPrices, position_size_percent: 10 },
    };
    special.set(t.createdAt, { at: t.createdAt, command, accepted: true, outcome: 'EXECUTED', tokens: { prompt: 900, completion: 60 } });
  }
  if (symbol === 'BTCUSDT') {
    special.set(at(5, 19), { at: at(5, 19), command: { action: 'ADJUST_TRADE', order_id: 'T-BTCUSDT-2', new_stop_loss_price: 32000, reasoning: 'lock in' }, accepted: true, outcome: 'EXECUTED' });
    special.set(at(6, 14), { at: at(6, 14), command: { action: 'CANCEL_ORDER', order_id: 'T-BTCUSDT-3', reasoning: 'gone' }, accepted: true, outcome: 'EXECUTED' });
    const rejected = (time: number, code: string): DecisionRecord => ({
      at: time, command: doNothing('rejected'), accepted: false, outcome: 'REJECTED', rejection: { stage: 'validation', code, reason: `${code} in a test` },
    });
    special.set(at(4, 3), rejected(at(4, 3), 'REWARD_RISK_TOO_LOW'));
    special.set(at(4, 4), rejected(at(4, 4), 'REWARD_RISK_TOO_LOW'));
    special.set(at(5, 3), rejected(at(5, 3), 'ENTRY_TOO_FAR'));
    special.set(at(5, 4), { at: at(5, 4), command: doNothing('stale'), accepted: true, outcome: 'NOTHING_TO_DO', stale: true });
  }
  return candles.map((c) => special.get(c.timestamp + TF) ?? { at: c.timestamp + TF, command: doNothing('wait'), accepted: true, outcome: 'NOTHING_TO_DO', tokens: { prompt: 900, completion: 20 } });
}

/** equity marked at every close: cash from fills up to then plus open quantity at the close */
export function markToMarket(start: number, series: ReadonlyArray<{ candles: readonly Candle[]; trades: readonly Trade[] }>): EquityPoint[] {
  const closes = [...new Set(series.flatMap((s) => s.candles.map((c) => c.timestamp + TF)))].sort((a, b) => a - b);
  return closes.map((closeAt) => {
    let equity = start;
    for (const { candles, trades } of series) {
      const candle = [...candles].reverse().find((c) => c.timestamp + TF <= closeAt);
      const price = candle?.close ?? candles[0]!.open;
      for (const t of trades) {
        for (const f of t.entryFills) if (f.at < closeAt) equity += f.quantity * (price - f.price) - f.fee;
        for (const f of t.exitFills) if (f.at < closeAt) equity += f.quantity * (f.price - price) - f.fee;
      }
    }
    return { at: closeAt, equity };
  });
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function symbolRun(symbol: string, candles: Candle[], trades: Trade[]): SymbolRun {
  return { symbol, candles, trades, decisions: decisions(symbol, candles, trades), orders: orders(trades), equity: markToMarket(START / 2, [{ candles, trades }]) };
}

/** the run: an 'llm' strategist with the trades above, and a cash baseline that never trades */
export function sampleRun(options: { warnings?: string[] } = {}): BacktestRun {
  const btc = windowCandles('BTCUSDT');
  const eth = windowCandles('ETHUSDT');
  const symbols = [symbolRun('BTCUSDT', btc.candles, btcTrades()), symbolRun('ETHUSDT', eth.candles, ethTrades())];
  const llm: StrategistRun = {
    name: 'llm fake-model',
    kind: 'llm',
    symbols,
    equity: markToMarket(START, symbols),
    llm: { calls: 400, cacheHits: 176, promptTokens: 518_400, completionTokens: 14_000, cost: 0.0862 },
  };
  const cashSymbols = symbols.map((s): SymbolRun => ({ symbol: s.symbol, candles: s.candles, trades: [], decisions: [], orders: [] }));
  const cash: StrategistRun = { name: 'cash', kind: 'baseline', symbols: cashSymbols, equity: markToMarket(START, cashSymbols) };
  return {
    params: {
      symbols: ['BTCUSDT', 'ETHUSDT'], from: FROM, to: TO, decisionTimeframe: '15m', matchingTimeframe: '15m', cycleIntervalMs: TF, decideEvery: 1,
      startingBalances: { USDT: START }, quoteCurrency: 'USDT', feeRate: FEE, masked: false, extra: { cacheMode: 'normal' },
    },
    dataFiles: [btc, eth].map((f) => ({ path: f.path, sha256: sha256(f.path), candles: f.candles.length, firstAt: f.candles[0]!.timestamp, lastAt: f.candles[f.candles.length - 1]!.timestamp })),
    codeVersion: 'test',
    strategists: [llm, cash],
    warnings: options.warnings ?? [],
  };
}
