import type { PortfolioLimits } from './limits';
import type { Halt } from './killSwitch';

/**
 * Open-trade slots: a trade may be placed only with a slot, granted against the portfolio's
 * limits (count, total exposure, per-symbol exposure) and refused while the portfolio is HALTED.
 * Grants are keyed by trade id, so asking twice for one trade (a retried activity) gets the same
 * grant and releasing twice frees it once.
 */

export interface SlotRequest {
  tradeId: string;
  symbol: string;
  /** the trader's command sequence the trade belongs to (the trade id's number) */
  sequence: number;
  /** quote-currency value of the entry (quantity x entry price, as the OMS will size it) */
  notional: number;
}

export interface SlotGrant extends SlotRequest {
  /** workflow time, epoch ms */
  grantedAt: number;
}

export type Grants = Record<string, SlotGrant>;

export type SlotRefusalCode = 'PORTFOLIO_HALTED' | 'MAX_OPEN_TRADES' | 'MAX_TOTAL_EXPOSURE' | 'MAX_SYMBOL_EXPOSURE' | 'NO_EQUITY' | 'TRADE_ENDED';

export type SlotDecision =
  | { granted: true; grant: SlotGrant; /** the trade already held it (a repeated request) */ repeated: boolean }
  | { granted: false; code: SlotRefusalCode; reason: string };

/** what is wrong with a request, or null: the Update's validator (a bad request never enters history) */
export function slotRequestProblem(req: unknown): string | null {
  const r = req as Partial<SlotRequest> | null;
  if (!r || typeof r !== 'object') return 'a slot request must be an object {tradeId, symbol, sequence, notional}';
  if (typeof r.tradeId !== 'string' || r.tradeId.trim() === '') return 'tradeId must be a non-empty string';
  if (typeof r.symbol !== 'string' || r.symbol.trim() === '') return 'symbol must be a non-empty string';
  if (!Number.isInteger(r.sequence) || (r.sequence as number) < 1) return `sequence must be a positive integer, not ${r.sequence}`;
  if (typeof r.notional !== 'number' || !Number.isFinite(r.notional) || r.notional <= 0) return `notional must be a positive number, not ${r.notional}`;
  return null;
}

export interface Exposure {
  openTrades: number;
  total: number;
  bySymbol: Record<string, number>;
}

export function exposureOf(grants: Grants): Exposure {
  const bySymbol: Record<string, number> = {};
  let total = 0;
  for (const g of Object.values(grants)) {
    total += g.notional;
    bySymbol[g.symbol] = (bySymbol[g.symbol] ?? 0) + g.notional;
  }
  return { openTrades: Object.keys(grants).length, total, bySymbol };
}

export interface SlotContext {
  limits: PortfolioLimits;
  /** the latest equity reading, quote currency (null: none yet) */
  equity: number | null;
  halt: Halt | null;
  now: number;
}

/** grant or refuse, with the reason a trader reads; pure, so the workflow's decision is atomic */
export function decideSlot(grants: Grants, req: SlotRequest, ctx: SlotContext): SlotDecision {
  const held = grants[req.tradeId];
  if (held) return { granted: true, grant: held, repeated: true };
  if (ctx.halt) return { granted: false, code: 'PORTFOLIO_HALTED', reason: `the portfolio is HALTED (${ctx.halt.reason}): no new entries` };
  const { limits } = ctx;
  const used = exposureOf(grants);
  if (used.openTrades >= limits.maxOpenTrades) {
    return { granted: false, code: 'MAX_OPEN_TRADES', reason: `${used.openTrades} of max_open_trades ${limits.maxOpenTrades} slots are taken (${Object.keys(grants).join(', ')})` };
  }
  if (ctx.equity === null || !(ctx.equity > 0)) {
    return { granted: false, code: 'NO_EQUITY', reason: 'the account equity is not known yet (no reading of the account): exposure cannot be checked' };
  }
  const totalAfter = percent(used.total + req.notional, ctx.equity);
  if (totalAfter > limits.maxTotalExposurePercent + 1e-9) {
    return {
      granted: false,
      code: 'MAX_TOTAL_EXPOSURE',
      reason: `exposure would be ${round2(totalAfter)}% of equity ${round2(ctx.equity)} (open ${round2(used.total)} + ${round2(req.notional)}), over max_total_exposure_percent ${limits.maxTotalExposurePercent}`,
    };
  }
  const symbolCap = limits.maxSymbolExposurePercent[req.symbol];
  if (symbolCap !== undefined) {
    const symbolAfter = percent((used.bySymbol[req.symbol] ?? 0) + req.notional, ctx.equity);
    if (symbolAfter > symbolCap + 1e-9) {
      return {
        granted: false,
        code: 'MAX_SYMBOL_EXPOSURE',
        reason: `${req.symbol} exposure would be ${round2(symbolAfter)}% of equity, over its cap ${symbolCap}% (max_symbol_exposure_percent)`,
      };
    }
  }
  return { granted: true, grant: { ...req, grantedAt: ctx.now }, repeated: false };
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
