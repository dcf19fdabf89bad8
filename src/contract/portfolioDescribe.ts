import { round2 } from '../domain/envelope/slots';
import { budgetSpent, spendOf, utcDay } from '../domain/llmBudget';
import { count, usd } from './displayText';
import type { PortfolioView } from './portfolioState';

/**
 * The portfolio in a few lines: the workflow's current details in the Web UI and `cli risk`
 * print the same text, so what a trader reads is the same everywhere. `now` says which UTC day the
 * LLM spend is of (the workflow passes its own clock).
 */
export function describeView(v: PortfolioView, now = Date.now()): string {
  const lines: string[] = [];
  lines.push(v.halt ? `HALTED (${v.halt.kind}) since ${new Date(v.halt.since).toISOString()}: ${v.halt.reason}` : 'ACTIVE: new entries allowed within the limits');
  const f = v.figures;
  if (f && v.book) {
    lines.push(`equity ${round2(f.equity)} (at ${new Date(v.book.lastAt).toISOString()})`);
    lines.push(`day PnL ${signed(round2(f.dayPnl))} (${signed(round2(f.dayPnlPercent))}% of ${round2(v.book.dayStartEquity)} at the start of UTC ${v.book.day}; limit -${v.limits.dailyLossLimitPercent}%)`);
    lines.push(`drawdown ${round2(f.drawdownPercent)}% from peak ${round2(v.book.peakEquity)} (limit ${v.limits.maxDrawdownPercent}%)`);
  } else {
    lines.push('equity: not read yet');
  }
  const pct = v.exposure.totalPercent === null ? '?' : `${round2(v.exposure.totalPercent)}%`;
  lines.push(`slots ${v.exposure.openTrades}/${v.limits.maxOpenTrades} used; exposure ${round2(v.exposure.total)} = ${pct} of equity (limit ${v.limits.maxTotalExposurePercent}%)`);
  for (const g of Object.values(v.grants).sort((a, b) => a.tradeId.localeCompare(b.tradeId))) {
    lines.push(`  ${g.tradeId} ${g.symbol} notional ${round2(g.notional)}`);
  }
  const llm = llmSpendLine(v, now);
  if (llm) lines.push(llm);
  if (v.lastRefusal) lines.push(`last refusal: ${v.lastRefusal.code} ${v.lastRefusal.tradeId}: ${v.lastRefusal.reason}`);
  if (v.lastError) lines.push(`warning: ${v.lastError}`);
  return lines.join('\n');
}

/**
 * "LLM spend today (2026-12-02 UTC): 12,345 of 200,000 tokens (6%) in 4 calls · $0.02 of $2 (1%)":
 * the ledger's figure of the day (src/workflows/llmSpendLedger.ts) against the budget the portfolio
 * was started with. Nothing when neither is known (the rules strategist).
 */
export function llmSpendLine(v: Pick<PortfolioView, 'llmSpend' | 'llmBudget'>, now: number): string | null {
  const b = v.llmBudget;
  if (!b && !v.llmSpend) return null;
  const spend = spendOf(v.llmSpend ?? null, utcDay(now));
  const calls = `${count(spend.calls)} call${spend.calls === 1 ? '' : 's'}`;
  const head = `LLM spend today (${spend.day} UTC): `;
  if (!b) return `${head}${count(spend.tokens)} tokens in ${calls}${spend.cost > 0 ? ` · ${usd(spend.cost)}` : ''}`;
  const tokens = `${count(spend.tokens)} of ${count(b.dailyTokens)} tokens (${share(spend.tokens, b.dailyTokens)}) in ${calls}`;
  const money = !b.priced
    ? `no cost: llm_models has no price for ${b.model}`
    : b.dailyCost === null
      ? usd(spend.cost)
      : `${usd(spend.cost)} of ${usd(b.dailyCost)} (${share(spend.cost, b.dailyCost)})`;
  const spent = budgetSpent(spend, b) ? ' · budget spent: no LLM call until 00:00 UTC' : '';
  return `${head}${tokens} · ${money}${spent}`;
}

/** whole percent, rounded down: 99.6% of a budget is not yet all of it (the epsilon: 0.06 / 0.2 is 29.999...) */
function share(part: number, whole: number): string {
  return `${Math.floor((100 * part) / whole + 1e-9)}%`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
