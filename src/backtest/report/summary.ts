import Table from 'cli-table3';
import type { Report } from './buildReport';
import { count, duration, isoDay, money, pct, ratio, signedPct } from './format';

/**
 * The terminal summary: warnings first (loud), then the leaderboard of every strategist (baselines
 * included) with buy-and-hold over the window as the last line for reference, then per-strategist
 * decision counts. Plain text when `color` is false (not a TTY).
 */
export function summaryTable(report: Report, options: { color?: boolean } = {}): string {
  const style = options.color ? {} : { head: [], border: [] };
  const { params } = report;
  const lines: string[] = [];
  for (const w of report.warnings) lines.push(`WARNING: ${w}`);
  lines.push(
    `Backtest ${params.symbols.join(', ')} ${isoDay(params.from)} to ${isoDay(params.to)}, decisions on ${params.decisionTimeframe}, ` +
      `matched on ${params.matchingTimeframe}, start ${money(report.startEquity)} ${report.conventions.currency}` +
      (params.masked ? ', masked prompts' : ''),
  );
  const board = new Table({
    head: ['#', 'strategist', 'net PnL', 'net %', 'CAGR', 'max DD', 'DD time', 'Sharpe', 'Sortino', 'PF', 'trades', 'win %', 'exposure', 'fees'],
    style,
    colAligns: ['right', 'left', ...Array<'right'>(12).fill('right')],
  });
  for (const row of report.leaderboard) {
    const s = report.strategists.find((x) => x.name === row.name)!;
    const p = s.portfolio;
    board.push([
      row.rank,
      row.name,
      money(p.netPnl),
      signedPct(p.netPnlPct),
      pct(p.cagrPct),
      pct(p.maxDrawdownPct),
      duration(p.maxDrawdownDurationMs),
      ratio(p.sharpe),
      ratio(p.sortino),
      ratio(p.profitFactor),
      count(p.trades),
      pct(p.winRatePct),
      pct(p.exposurePct),
      money(p.feesPaid),
    ]);
  }
  const bh = report.buyAndHold.portfolio;
  // the engine's own buy-and-hold baseline, when it ran one, is the line to compare with
  if (!hasBuyAndHoldBaseline(report)) board.push(['', 'buy-and-hold (window)', money(bh.netPnl), signedPct(bh.netPnlPct), pct(bh.cagrPct), pct(bh.maxDrawdownPct), duration(bh.maxDrawdownDurationMs), ratio(bh.sharpe), ratio(bh.sortino), '', '', '', '100.00%', '']);
  lines.push(board.toString());
  lines.push(`Sharpe/Sortino: daily returns, annualised x sqrt(${report.conventions.periodsPerYear}), risk-free rate ${(report.conventions.riskFreeRate * 100).toFixed(2)}% a year.`);

  const decisions = new Table({
    head: ['strategist', 'decisions', 'PLAN', 'CANCEL', 'ADJUST', 'NOTHING', 'rejected (by code)', 'stale', 'LLM calls', 'cache hits', 'tokens', 'cost'],
    style,
  });
  for (const s of report.strategists) {
    if (s.kind === 'baseline') continue;
    const d = s.decisions;
    const codes = Object.entries(d.rejectedByCode).map(([c, n]) => `${c} ${n}`).join(', ');
    decisions.push([
      s.name,
      d.decisions,
      d.byCommand.PLAN_TRADE ?? 0,
      d.byCommand.CANCEL_ORDER ?? 0,
      d.byCommand.ADJUST_TRADE ?? 0,
      d.byCommand.DO_NOTHING ?? 0,
      d.rejected > 0 ? `${d.rejected}: ${codes}` : '0',
      d.stale,
      s.llm ? s.llm.calls : '',
      s.llm ? s.llm.cacheHits : '',
      s.llm ? s.llm.promptTokens + s.llm.completionTokens : '',
      s.llm ? (s.llm.cost === null ? 'n/a' : `$${s.llm.cost.toFixed(4)}`) : '',
    ]);
  }
  if (decisions.length > 0) lines.push(decisions.toString());
  return lines.join('\n');
}

export function hasBuyAndHoldBaseline(report: Report): boolean {
  return report.strategists.some((s) => s.kind === 'baseline' && /buy.?and.?hold/i.test(s.name));
}
