import type { AiCommand } from '../../domain/commands';
import type { Candle } from '../../domain/market';
import type { Trade } from '../../domain/trade';
import type { MarketSnapshot } from '../../strategist/marketSnapshot';
import type { Prompt } from '../../strategist/prompt';
import type { Proposal, Strategist, StrategistRequest } from '../../strategist/strategist';

/**
 * --mask: the strategist is asked about a history it cannot recognise. The request is rewritten
 * before the prompt is built, and the answer rewritten back before validation:
 * - the symbol becomes ASSET1, ASSET2... (in the run's symbol order), in the market data, the trade
 *   state line, the trade id and the risk limits;
 * - every time moves by the same whole number of weeks into the year 2100 (time of day and weekday
 *   kept: they are legitimate signals, and they do not date the history);
 * - every price (candles, last/bid/ask/spread, EMAs, ATR, the trade's levels and fills) is multiplied
 *   by one constant per symbol that puts its first decision's last price at 100; volumes by one that
 *   puts the first snapshot's average volume at 1000; RSI and percentages are unchanged.
 * The command's prices are divided by the same constant, its symbol and order id mapped back, so
 * validation, sizing and the OMS see real prices.
 *
 * What it does NOT protect against: the shape of a famous move (a -30 % day, a parabolic run) can
 * still be recognised from relative changes, which masking keeps by design; volatility regimes and
 * the number of symbols stay visible; the model's general knowledge of how markets behaved in a
 * period is not removed. Masking lowers look-ahead through the model's memory; it does not prove
 * its absence. It does nothing about look-ahead in the data (that is the engine's: only closed
 * candles reach the snapshot).
 */

const WEEK_MS = 7 * 86_400_000;
const MASKED_EPOCH = Date.UTC(2100, 0, 1);

export interface MaskOptions {
  /** the run's symbols, in order: ASSET1 is the first */
  symbols: readonly string[];
  /** the window's start: the time shift is fixed from it, so masked prompts are reproducible */
  from: number;
}

interface Scale {
  alias: string;
  price: number;
  volume: number;
}

export class Masker {
  readonly shiftMs: number;
  readonly #symbols: readonly string[];
  readonly #scales = new Map<string, Scale>();

  constructor(options: MaskOptions) {
    if (options.symbols.length === 0) throw new Error('masking needs the run symbols');
    this.#symbols = options.symbols;
    this.shiftMs = Math.ceil((MASKED_EPOCH - options.from) / WEEK_MS) * WEEK_MS;
  }

  alias(symbol: string): string {
    const i = this.#symbols.indexOf(symbol);
    if (i < 0) throw new Error(`masking: ${symbol} is not one of the run's symbols (${this.#symbols.join(', ')})`);
    return `ASSET${i + 1}`;
  }

  /** fixed at the symbol's first request, then constant for the run */
  scaleFor(symbol: string, snapshot: MarketSnapshot): Scale {
    let scale = this.#scales.get(symbol);
    if (!scale) {
      const candles = snapshot.timeframes[0]?.candles ?? [];
      const avgVolume = candles.length > 0 ? candles.reduce((s, c) => s + c.volume, 0) / candles.length : 0;
      scale = { alias: this.alias(symbol), price: 100 / snapshot.last, volume: avgVolume > 0 ? 1000 / avgVolume : 1 };
      this.#scales.set(symbol, scale);
    }
    return scale;
  }

  /** the system prompt with the run's symbol names (in its example) replaced by their aliases */
  maskText(text: string): string {
    return this.#symbols.reduce((out, symbol) => out.split(symbol).join(this.alias(symbol)), text);
  }

  maskRequest(request: StrategistRequest): StrategistRequest {
    const scale = this.scaleFor(request.symbol, request.snapshot);
    const trade = request.trade ? this.#maskTrade(request.trade, request.symbol, scale) : null;
    return {
      symbol: scale.alias,
      trade,
      snapshot: this.#maskSnapshot(request.snapshot, scale),
      context: { ...request.context, symbol: scale.alias, trade, lastPrice: p(request.context.lastPrice * scale.price) },
    };
  }

  /** the answer back in real terms: prices divided by the symbol's constant, names and ids mapped back */
  unmaskCommand(command: AiCommand, symbol: string): AiCommand {
    const scale = this.#scales.get(symbol);
    if (!scale) throw new Error(`masking: no scale for ${symbol} yet (unmask before mask)`);
    const real = (x: number) => Number((x / scale.price).toPrecision(10));
    const id = (orderId: string) => orderId.split(scale.alias).join(symbol);
    switch (command.action) {
      case 'DO_NOTHING':
        return command;
      case 'CANCEL_ORDER':
        return { ...command, order_id: id(command.order_id) };
      case 'ADJUST_TRADE':
        return {
          ...command,
          order_id: id(command.order_id),
          new_stop_loss_price: real(command.new_stop_loss_price),
          ...(command.new_take_profit_prices ? { new_take_profit_prices: command.new_take_profit_prices.map(real) } : {}),
        };
      case 'PLAN_TRADE': {
        const s = command.trade_setup;
        return {
          ...command,
          trade_setup: {
            ...s,
            // a model that names the real symbol has recognised it: keep what it said, validation rejects it
            symbol: s.symbol === scale.alias ? symbol : s.symbol,
            entry_price: real(s.entry_price),
            stop_loss_price: real(s.stop_loss_price),
            take_profit_prices: s.take_profit_prices.map(real),
          },
        };
      }
    }
  }

  #maskSnapshot(s: MarketSnapshot, scale: Scale): MarketSnapshot {
    const k = scale.price;
    const opt = (x: number | null) => (x === null ? null : p(x * k));
    return {
      symbol: scale.alias,
      at: s.at + this.shiftMs,
      last: p(s.last * k),
      bid: opt(s.bid),
      ask: opt(s.ask),
      spread: opt(s.spread),
      timeframes: s.timeframes.map((tf) => ({
        timeframe: tf.timeframe,
        lastClose: p(tf.lastClose * k),
        history: tf.history,
        candles: tf.candles.map((c) => this.#maskCandle(c, scale)),
        indicators: { rsi14: tf.indicators.rsi14, ema20: opt(tf.indicators.ema20), ema50: opt(tf.indicators.ema50), atr14: opt(tf.indicators.atr14) },
      })),
    };
  }

  #maskCandle(c: Candle, scale: Scale): Candle {
    const k = scale.price;
    return { timestamp: c.timestamp + this.shiftMs, open: p(c.open * k), high: p(c.high * k), low: p(c.low * k), close: p(c.close * k), volume: p(c.volume * scale.volume) };
  }

  #maskTrade(t: Trade, symbol: string, scale: Scale): Trade {
    const k = scale.price;
    const id = (x: string) => x.split(symbol).join(scale.alias);
    const time = (x: number | undefined) => (x === undefined ? undefined : x + this.shiftMs);
    const masked: Trade = {
      ...t,
      id: id(t.id),
      symbol: scale.alias,
      entryPrice: p(t.entryPrice * k),
      stopLossPrice: p(t.stopLossPrice * k),
      takeProfitPrices: t.takeProfitPrices.map((x) => p(x * k)),
      entryFills: t.entryFills.map((f) => ({ ...f, price: p(f.price * k), fee: f.fee * k, at: f.at + this.shiftMs })),
      exitFills: t.exitFills.map((f) => ({ ...f, price: p(f.price * k), fee: f.fee * k, at: f.at + this.shiftMs })),
      orders: t.orders.map((o) => ({
        ...o,
        clientOrderId: id(o.clientOrderId),
        ...(o.price === undefined ? {} : { price: p(o.price * k) }),
        ...(o.stopPrice === undefined ? {} : { stopPrice: p(o.stopPrice * k) }),
      })),
      createdAt: t.createdAt + this.shiftMs,
    };
    for (const key of ['activatedAt', 'closedAt', 'entryEndedAt'] as const) {
      if (t[key] !== undefined) masked[key] = time(t[key]);
    }
    if (t.realizedPnl !== undefined) masked.realizedPnl = t.realizedPnl * k;
    if (t.fees !== undefined) masked.fees = t.fees * k;
    return masked;
  }
}

/** 8 significant digits: a masked price reads like a real quote, not like 100.02340000000001 */
function p(x: number): number {
  return Number(x.toPrecision(8));
}

/** anything that can say which prompt it would send (LlmStrategist does) */
export interface PromptingStrategist extends Strategist {
  promptFor(request: StrategistRequest): Prompt;
}

/** The --mask wrapper: the inner strategist sees the masked request; its command comes back real. */
export class MaskingStrategist implements PromptingStrategist {
  readonly kind;
  readonly description: string;
  readonly masker: Masker;
  readonly #inner: PromptingStrategist;

  constructor(inner: PromptingStrategist, options: MaskOptions) {
    this.#inner = inner;
    this.kind = inner.kind;
    this.description = `${inner.description} (masked)`;
    this.masker = new Masker(options);
  }

  promptFor(request: StrategistRequest): Prompt {
    return this.#inner.promptFor(this.masker.maskRequest(request));
  }

  async propose(request: StrategistRequest): Promise<Proposal> {
    const proposal = await this.#inner.propose(this.masker.maskRequest(request));
    if (!proposal.ok) return proposal;
    return { ...proposal, command: this.masker.unmaskCommand(proposal.command, request.symbol) };
  }
}
