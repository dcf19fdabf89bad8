import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BacktestRun, SymbolRun } from '../runTypes';
import type { Figures, Report, StrategistReport } from './buildReport';
import { chartData } from './chartData';
import type { EquityMetrics } from './equityMetrics';
import { count, duration, isoDay, isoMinute, money, pct, ratio, signedPct } from './format';
import { realizedPnl } from './tradeMetrics';

/**
 * report.html: one self-contained file (the charting library, the data, the styles and the script
 * inline; no server, no network). Every figure shown carries `data-figure` (its path in report.json)
 * and `data-value` (the raw number), so a test can check the page against report.json.
 */

const require = createRequire(import.meta.url);
/** lightweight-charts' standalone build (pinned in package.json); it defines window.LightweightCharts */
const CHARTS_JS = 'lightweight-charts.standalone.production.js';

let assets: { charts: string; page: string; css: string } | null = null;
function loadAssets() {
  assets ??= {
    // the package exports only its module entry; the standalone build is in dist/
    charts: readFileSync(join(dirname(require.resolve('lightweight-charts/package.json')), 'dist', CHARTS_JS), 'utf8'),
    page: readFileSync(new URL('./page.js', import.meta.url), 'utf8'),
    css: readFileSync(new URL('./page.css', import.meta.url), 'utf8'),
  };
  return assets;
}

type Fmt = (x: number | null | undefined) => string;

interface Row {
  label: string;
  key: keyof Figures;
  fmt: Fmt;
}

const EQUITY_ROWS: Row[] = [
  { label: 'Net PnL after fees', key: 'netPnl', fmt: money },
  { label: 'Net PnL %', key: 'netPnlPct', fmt: signedPct },
  { label: 'CAGR', key: 'cagrPct', fmt: pct },
  { label: 'Max drawdown', key: 'maxDrawdownPct', fmt: pct },
  { label: 'Max drawdown duration', key: 'maxDrawdownDurationMs', fmt: duration },
  { label: 'Sharpe (daily, annualised)', key: 'sharpe', fmt: ratio },
  { label: 'Sortino (daily, annualised)', key: 'sortino', fmt: ratio },
];
const TRADE_ROWS: Row[] = [
  { label: 'Trades (closed)', key: 'trades', fmt: count },
  { label: 'Win rate', key: 'winRatePct', fmt: pct },
  { label: 'Profit factor', key: 'profitFactor', fmt: ratio },
  { label: 'Average win', key: 'avgWin', fmt: money },
  { label: 'Average loss', key: 'avgLoss', fmt: money },
  { label: 'Average holding time', key: 'avgHoldingMs', fmt: duration },
  { label: 'Exposure (time in a position)', key: 'exposurePct', fmt: pct },
  { label: 'Fees paid', key: 'feesPaid', fmt: money },
  { label: 'Closed by stop', key: 'closedByStop', fmt: count },
  { label: 'Closed by target', key: 'closedByTarget', fmt: count },
  { label: 'Cancelled', key: 'cancelled', fmt: count },
  { label: 'Open at the end', key: 'openAtEnd', fmt: count },
];

export function renderHtml(report: Report, run: BacktestRun): string {
  const { charts, page, css } = loadAssets();
  const p = report.params;
  const title = `Backtest ${p.symbols.join(', ')} ${isoDay(p.from)} to ${isoDay(p.to)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="params">decisions on ${esc(p.decisionTimeframe)}, fills matched on ${esc(p.matchingTimeframe)}, every ${p.decideEvery} candle(s);
start ${fig('startEquity', report.startEquity, money)} ${esc(report.conventions.currency)}; fee ${(p.feeRate * 100).toFixed(3)}%${p.masked ? '; <b>masked prompts</b>' : ''};
code ${esc(report.codeVersion)}</p>
${report.warnings.map((w) => `<div class="warning" role="alert">WARNING: ${esc(w)}</div>`).join('\n')}
</header>
<main>
<section id="leaderboard"><h2>Leaderboard</h2>${leaderboardTable(report)}
<p class="note">Sharpe and Sortino: daily (UTC) returns, annualised by &radic;${report.conventions.periodsPerYear}, risk-free rate
${fig('conventions.riskFreeRate', report.conventions.riskFreeRate, (x) => pct((x ?? 0) * 100))} a year. Buy-and-hold: ${esc(report.conventions.buyAndHold)}.</p></section>
${report.strategists.map((s, i) => strategistSection(report, s, i, run.strategists[i]!.symbols)).join('\n')}
<section id="run"><h2>Run</h2>${dataFilesTable(report)}</section>
</main>
<script type="application/json" id="chart-data">${jsonForScript(chartData(run))}</script>
<script>${scriptSafe(charts)}</script>
<script>${scriptSafe(page)}</script>
</body>
</html>
`;
}

function leaderboardTable(report: Report): string {
  const rows = report.leaderboard.map((r, i) => {
    const at = `leaderboard.${i}`;
    return `<tr><td>${r.rank}</td><td><a href="#strategist-${report.strategists.findIndex((s) => s.name === r.name)}">${esc(r.name)}</a></td>
<td>${fig(`${at}.netPnl`, r.netPnl, money)}</td><td class="${r.netPnlPct >= 0 ? 'up' : 'down'}">${fig(`${at}.netPnlPct`, r.netPnlPct, signedPct)}</td>
<td>${fig(`${at}.maxDrawdownPct`, r.maxDrawdownPct, pct)}</td><td>${fig(`${at}.sharpe`, r.sharpe, ratio)}</td>
<td>${fig(`${at}.trades`, r.trades, count)}</td><td>${fig(`${at}.winRatePct`, r.winRatePct, pct)}</td><td>${fig(`${at}.feesPaid`, r.feesPaid, money)}</td></tr>`;
  });
  const bh = report.buyAndHold.portfolio;
  rows.push(`<tr class="reference"><td></td><td>buy-and-hold over the window</td><td>${fig('buyAndHold.portfolio.netPnl', bh.netPnl, money)}</td>
<td>${fig('buyAndHold.portfolio.netPnlPct', bh.netPnlPct, signedPct)}</td><td>${fig('buyAndHold.portfolio.maxDrawdownPct', bh.maxDrawdownPct, pct)}</td>
<td>${fig('buyAndHold.portfolio.sharpe', bh.sharpe, ratio)}</td><td></td><td></td><td></td></tr>`);
  return `<table class="figures"><thead><tr><th>#</th><th>strategist</th><th>net PnL</th><th>net %</th><th>max drawdown</th><th>Sharpe</th><th>trades</th><th>win rate</th><th>fees</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function strategistSection(report: Report, s: StrategistReport, i: number, symbols: readonly SymbolRun[]): string {
  const base = `strategists.${i}`;
  const columns: { head: string; path: string; values: Partial<Figures> | EquityMetrics }[] = [
    { head: 'portfolio', path: `${base}.portfolio`, values: s.portfolio },
    ...s.symbols.map((sym, k) => ({ head: sym.symbol, path: `${base}.symbols.${k}.figures`, values: sym.figures })),
    { head: 'buy-and-hold', path: 'buyAndHold.portfolio', values: report.buyAndHold.portfolio },
  ];
  const row = (r: Row, equityOnly: boolean) =>
    `<tr><th>${esc(r.label)}</th>${columns
      .map((c) => {
        const isBh = c.path.startsWith('buyAndHold');
        if (isBh && !equityOnly) return '<td></td>';
        const v = (c.values as Record<string, number | null | undefined>)[r.key];
        return `<td>${v === undefined ? 'n/a' : fig(`${c.path}.${r.key}`, v, r.fmt)}</td>`;
      })
      .join('')}</tr>`;
  // buy-and-hold of the same symbol(s) over the window, beside each column
  const bhPaths = columns.map((c, k) => (k === 0 || c.path.startsWith('buyAndHold') ? 'buyAndHold.portfolio' : `${base}.symbols.${k - 1}.buyAndHold`));
  const bhRow = (label: string, key: 'netPnlPct' | 'maxDrawdownPct', fmt: Fmt) =>
    `<tr class="reference"><th>${label}</th>${bhPaths
      .map((path, k) => {
        const values = path === 'buyAndHold.portfolio' ? report.buyAndHold.portfolio : s.symbols[k - 1]!.buyAndHold;
        return `<td>${fig(`${path}.${key}`, values[key], fmt)}</td>`;
      })
      .join('')}</tr>`;
  const figures = `<table class="figures"><thead><tr><th></th>${columns.map((c) => `<th>${esc(c.head)}</th>`).join('')}</tr></thead>
<tbody>${EQUITY_ROWS.map((r) => row(r, true)).join('\n')}
${bhRow('Buy-and-hold net PnL %', 'netPnlPct', signedPct)}${bhRow('Buy-and-hold max drawdown', 'maxDrawdownPct', pct)}
${TRADE_ROWS.map((r) => row(r, false)).join('\n')}</tbody></table>`;
  const prices = symbols
    .map((sym, k) =>
      sym.trades.length === 0
        ? ''
        : `<h3>${esc(sym.symbol)}: price, entries, exits, stops and targets</h3>
<div class="chart price" data-chart="price" data-strategist="${i}" data-symbol="${k}"></div>
<p class="legend"><span class="entry">&#9650; buy (entry fill)</span> <span class="stop">&#9660; stop</span> <span class="target">&#9660; target</span>
<span class="plan">&#9679; planned</span> <span class="cancel">&#9632; cancelled</span> <span class="adjust">&#9632; adjusted</span>
<span class="stop">--- stop level</span> <span class="target">--- target levels</span></p>
${tradesTable(sym)}`,
    )
    .join('\n');
  return `<section class="strategist" id="strategist-${i}">
<h2>${esc(s.name)} <small>${esc(s.kind)}</small></h2>
${figures}
<h3>Equity against buy-and-hold</h3><div class="chart" data-chart="equity" data-strategist="${i}"></div>
<h3>Drawdown</h3><div class="chart small" data-chart="drawdown" data-strategist="${i}"></div>
${prices}
${decisionsBlock(s, base)}
</section>`;
}

function tradesTable(sym: SymbolRun): string {
  const rows = sym.trades.map((t) => {
    const entry = t.entryFills[0];
    const exit = t.exitFills[t.exitFills.length - 1];
    const pnl = t.status === 'CLOSED' ? realizedPnl(t) : null;
    return `<tr><td>${esc(t.id)}</td><td>${t.status}</td><td>${isoMinute(t.createdAt)}</td><td>${t.entryPrice}</td><td>${t.stopLossPrice}</td>
<td>${t.takeProfitPrices.join(' / ')}</td><td>${entry ? `${isoMinute(entry.at)} @ ${entry.price}` : ''}</td>
<td>${exit ? `${isoMinute(exit.at)} @ ${exit.price} (${exit.reason})` : esc(t.closeReason ?? '')}</td><td class="${pnl !== null && pnl < 0 ? 'down' : 'up'}">${money(pnl)}</td></tr>`;
  });
  return `<details><summary>${sym.trades.length} trade(s)</summary><table class="trades"><thead><tr><th>trade</th><th>status</th><th>planned</th><th>entry</th><th>stop</th><th>targets</th><th>filled</th><th>exit</th><th>PnL</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></details>`;
}

function decisionsBlock(s: StrategistReport, base: string): string {
  const d = s.decisions;
  const cmd = Object.entries(d.byCommand)
    .map(([c, n]) => `<td>${esc(c)}</td><td>${fig(`${base}.decisions.byCommand.${c}`, n, count)}</td>`)
    .map((cells) => `<tr>${cells}</tr>`)
    .join('');
  const codes = Object.entries(d.rejectedByCode)
    .map(([c, n]) => `<tr><td>rejected: ${esc(c)}</td><td>${fig(`${base}.decisions.rejectedByCode.${c}`, n, count)}</td></tr>`)
    .join('');
  const llm = s.llm
    ? `<tr><td>LLM calls</td><td>${fig(`${base}.llm.calls`, s.llm.calls, count)}</td></tr>
<tr><td>cache hits</td><td>${fig(`${base}.llm.cacheHits`, s.llm.cacheHits, count)}</td></tr>
<tr><td>prompt tokens</td><td>${fig(`${base}.llm.promptTokens`, s.llm.promptTokens, count)}</td></tr>
<tr><td>completion tokens</td><td>${fig(`${base}.llm.completionTokens`, s.llm.completionTokens, count)}</td></tr>
<tr><td>cost (USD)</td><td>${fig(`${base}.llm.cost`, s.llm.cost, (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(4)))}</td></tr>`
    : '';
  const halts = (s.halts ?? []).map((h) => `<tr><td>HALTED (${esc(h.kind)}) ${isoMinute(h.since)}</td><td>${esc(h.reason)}</td></tr>`).join('');
  return `<h3>Decisions</h3><table class="decisions"><tbody>${halts}
<tr><td>decisions</td><td>${fig(`${base}.decisions.decisions`, d.decisions, count)}</td></tr>${cmd}
<tr><td>rejected</td><td>${fig(`${base}.decisions.rejected`, d.rejected, count)}</td></tr>${codes}
<tr><td>stale data</td><td>${fig(`${base}.decisions.stale`, d.stale, count)}</td></tr>${llm}
</tbody></table>`;
}

function dataFilesTable(report: Report): string {
  return `<table class="files"><thead><tr><th>data file</th><th>candles</th><th>first</th><th>last</th><th>sha256</th></tr></thead><tbody>
${report.dataFiles.map((f) => `<tr><td>${esc(f.path)}</td><td>${f.candles}</td><td>${isoMinute(f.firstAt)}</td><td>${isoMinute(f.lastAt)}</td><td><code>${esc(f.sha256)}</code></td></tr>`).join('\n')}
</tbody></table>`;
}

function fig(path: string, value: number | null | undefined, fmt: Fmt): string {
  const raw = value === null || value === undefined ? 'null' : String(value);
  return `<span data-figure="${esc(path)}" data-value="${raw}">${esc(fmt(value))}</span>`;
}

function esc(text: string): string {
  if (!/[&<>"']/.test(text)) return text;
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script>: no "</script>" or "<!--" can end it early */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function scriptSafe(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script');
}
