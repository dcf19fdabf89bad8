import { readFileSync } from 'node:fs';
import type { RiskLimits } from '../domain/risk';
import { averageEntryPrice, type Trade } from '../domain/trade';
import { renderMarketData, type MarketSnapshot } from './marketSnapshot';

export interface Prompt {
  system: string;
  user: string;
}

export interface PromptInput {
  symbol: string;
  trade: Trade | null;
  snapshot: MarketSnapshot;
  risk: RiskLimits;
  /** epoch ms of the decision */
  now: number;
  /** budget of the market-data section, in estimated tokens (config strategist.max_prompt_tokens) */
  maxPromptTokens?: number;
}

export const DEFAULT_MAX_PROMPT_TOKENS = 4_000;

let cachedSystemPrompt: string | null = null;

/** The system prompt lives in system-prompt.md beside this file so traders can read and edit it. */
export function systemPrompt(): string {
  cachedSystemPrompt ??= readFileSync(new URL('./system-prompt.md', import.meta.url), 'utf8').trim();
  return cachedSystemPrompt;
}

/**
 * The user prompt: the trade state first (it decides which commands are allowed), then the risk
 * limits, then market data. Only what the strategist needs; never secrets or account ids.
 */
export function buildPrompt(input: PromptInput): Prompt {
  const { symbol, trade, snapshot, risk } = input;
  const user = [
    `Time: ${new Date(input.now).toISOString()}`,
    stateLine(symbol, trade, snapshot.last),
    '',
    'RISK LIMITS (a command breaking any of them is rejected):',
    `- market: spot (LONG only); symbol must be ${symbol}`,
    `- position_size_percent: more than 0, at most ${risk.max_position_size_percent}`,
    `- entry_price within ${risk.max_entry_distance_percent}% of the last price (${fmt(snapshot.last)})`,
    `- reward:risk to the first target at least ${risk.min_reward_risk}`,
    `- at most ${risk.max_open_trades} open trades across all symbols`,
    '',
    renderMarketData(snapshot, input.maxPromptTokens ?? DEFAULT_MAX_PROMPT_TOKENS),
    '',
    'Answer with exactly one command as JSON.',
  ].join('\n');
  return { system: systemPrompt(), user };
}

/** One line that names the state and the question, e.g. "ACTIVE LONG BTCUSDT: ... What now?" */
export function stateLine(symbol: string, trade: Trade | null, last: number): string {
  if (!trade || (trade.status !== 'PENDING' && trade.status !== 'ACTIVE')) {
    return `No open trade on ${symbol}. Is there an entry? (allowed: PLAN_TRADE or DO_NOTHING)`;
  }
  const targets = trade.takeProfitPrices.map(fmt).join('/');
  if (trade.status === 'PENDING') {
    return (
      `PENDING ${trade.direction} ${symbol}: limit entry ${fmt(trade.entryPrice)} resting, stop ${fmt(trade.stopLossPrice)}, ` +
      `targets ${targets}, size ${trade.positionSizePercent}%, trade id ${trade.id}. ` +
      `What now? (allowed: CANCEL_ORDER with order_id "${trade.id}", or DO_NOTHING)`
    );
  }
  const entry = averageEntryPrice(trade) ?? trade.entryPrice;
  const sign = trade.direction === 'LONG' ? 1 : -1;
  const pnl = ((last - entry) / entry) * 100 * sign;
  return (
    `ACTIVE ${trade.direction} ${symbol}: entry ${fmt(entry)}, stop ${fmt(trade.stopLossPrice)}, targets ${targets}, ` +
    `unrealized ${pnl >= 0 ? '+' : ''}${pnl.toFixed(2)}%, trade id ${trade.id}. ` +
    `What now? (allowed: ADJUST_TRADE with order_id "${trade.id}", or DO_NOTHING)`
  );
}

/** exact levels (trade ids and prices must round-trip), without float noise like 0.30000000000000004 */
function fmt(x: number): string {
  return String(Number(x.toPrecision(12)));
}
