import { doNothing } from '../domain/commands';
import type { Trade } from '../domain/trade';
import { canonicalSymbol } from '../domain/symbols';
import { decide } from '../strategist/decide';
import type { MarketSnapshot } from '../strategist/marketSnapshot';
import type { ActivityDeps } from './deps';
import { makeScrub, runStep } from './failures';
import { withHeartbeat } from './heartbeat';
import type { StrategistDecision } from '../contract/results';
import { checkSnapshot, defaultMarketGuard, type MarketGuardDeps } from './marketGuard';

/** the model's raw answer is kept for the journal and the Web UI, not whole essays */
export const MAX_RAW_ANSWER = 2_000;

/**
 * askStrategist: one command for the symbol from the configured strategist, validated by decide()
 * (which never throws: any failure is DO_NOTHING with the reason). The prompt itself is not
 * returned: it is large and rebuilt on demand by the CLI's prompt command.
 */
export function strategistActivities(deps: Pick<ActivityDeps, 'strategist' | 'risk' | 'secrets' | 'maxReasoningChars' | 'marketGuard'>) {
  const scrub = makeScrub(deps.secrets);
  const guard = deps.marketGuard ?? defaultMarketGuard();
  return {
    async askStrategist(input: AskStrategistInput): Promise<StrategistDecision> {
      return runStep('askStrategist', scrub, () =>
        withHeartbeat(async () => {
          // stale, frozen or inconsistent prices: no plan is made from them (and the LLM is not paid)
          return marketRefusal(guard, input.market, deps.strategist.kind) ?? strategistDecision(deps, input);
        }, 2_000, { step: 'askStrategist', symbol: input.symbol, sequence: input.sequence }),
      );
    },
  };
}

/**
 * The stale-data guard's verdict as the cycle's decision: DO_NOTHING with the reason when the
 * snapshot is refused, else null. The backtest guards its snapshots through this too, with the
 * market clock as its wall clock.
 */
export function marketRefusal(guard: MarketGuardDeps, market: MarketSnapshot, source: StrategistDecision['source'], wallNow = Date.now()): StrategistDecision | null {
  const verdict = checkSnapshot(guard, market, wallNow);
  if (verdict.ok) return null;
  return {
    command: doNothing(`market data refused (${verdict.code}): ${verdict.reason}`),
    source,
    accepted: false,
    rejection: { stage: 'market', code: verdict.code, reason: verdict.reason },
  };
}

export interface AskStrategistInput {
  symbol: string;
  sequence: number;
  trade: Trade | null;
  market: MarketSnapshot;
  openTradesCount?: number;
}

/** the step without the Temporal shell: the backtest asks its strategists through this too */
export async function strategistDecision(deps: Pick<ActivityDeps, 'strategist' | 'risk' | 'maxReasoningChars'>, input: AskStrategistInput): Promise<StrategistDecision> {
  const symbol = canonicalSymbol(input.symbol);
  const ownOpen = input.trade && (input.trade.status === 'PENDING' || input.trade.status === 'ACTIVE') ? 1 : 0;
  const decision = await decide({
    symbol,
    trade: input.trade,
    snapshot: input.market,
    strategist: deps.strategist,
    ...(deps.maxReasoningChars !== undefined ? { maxReasoningChars: deps.maxReasoningChars } : {}),
    context: {
      symbol,
      trade: input.trade,
      lastPrice: input.market.last,
      risk: deps.risk,
      marketType: 'spot',
      openTradesCount: Math.max(input.openTradesCount ?? 0, ownOpen),
    },
  });
  const out: StrategistDecision = {
    command: decision.command,
    source: decision.source,
    accepted: decision.accepted,
  };
  if (decision.rejection) out.rejection = { ...decision.rejection };
  if (decision.rawAnswer !== undefined) out.rawAnswer = trimAnswer(decision.rawAnswer);
  if (decision.usage) out.usage = { ...decision.usage };
  // an answer from the backtest's answer cache (live never has one)
  if (decision.cached) out.cached = true;
  return out;
}

function trimAnswer(text: string): string {
  return text.length > MAX_RAW_ANSWER ? `${text.slice(0, MAX_RAW_ANSWER)}…[${text.length - MAX_RAW_ANSWER} more characters]` : text;
}
