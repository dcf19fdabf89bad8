import { round2 } from '../domain/envelope/slots';
import type { PortfolioView } from './portfolioState';

/**
 * The portfolio in a few lines: the workflow's current details in the Web UI and `cli risk`
 * print the same text, so what a trader reads is the same everywhere.
 */
export function describeView(v: PortfolioView): string {
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
  if (v.lastRefusal) lines.push(`last refusal: ${v.lastRefusal.code} ${v.lastRefusal.tradeId}: ${v.lastRefusal.reason}`);
  if (v.lastError) lines.push(`warning: ${v.lastError}`);
  return lines.join('\n');
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
