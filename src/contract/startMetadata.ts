import { cadenceText, num } from './displayText';
import { DEFAULT_MONITOR_INTERVAL_MS, type OrderMonitorInput } from './monitorState';
import type { PortfolioInput } from './portfolioState';

/**
 * The static summary and details every workflow is started with (the Web UI shows them in the
 * list and at the top of the workflow's page). Whoever starts a workflow (the CLI, npm start, the
 * portfolio client, the monitor's signal-with-start) takes them from here, so they read the same
 * however it was started. Only configuration goes in: never a key, never a URL's credentials.
 *
 * Temporal keeps them for the run they were given to; a run that continued as new has none (the
 * SDK's continue-as-new takes no metadata), and its current details say the same and more.
 */

export interface StartMetadata {
  staticSummary: string;
  staticDetails: string;
}

export interface TraderFacts {
  symbol: string;
  mode: string;
  /** which strategist decides, in words (see strategistWords) */
  strategist: string;
  cycleIntervalMs: number;
  /** the candle timeframes the strategist sees, the first is the cycle's own */
  timeframes: readonly string[];
}

export function traderStartMetadata(f: TraderFacts): StartMetadata {
  return {
    staticSummary: `${f.symbol} trader · ${f.mode}${f.mode === 'live' ? ' (REAL MONEY)' : ''} · ${f.strategist} · ${cadenceText(f.cycleIntervalMs)}`,
    staticDetails: [
      `**${f.symbol}**: one cycle ${cadenceText(f.cycleIntervalMs)}: market data, the strategist's one command, the OMS, the trade log.`,
      '',
      `- **Symbol**: ${f.symbol}`,
      `- **Mode**: ${f.mode}${f.mode === 'live' ? ' (REAL MONEY)' : ''}`,
      `- **Strategist**: ${f.strategist}`,
      `- **Cadence**: ${cadenceText(f.cycleIntervalMs)} on ${f.timeframes.join('/')} candles`,
      `- **List filter**: \`Symbol = "${f.symbol}"\`; the current details show the trade now`,
    ].join('\n'),
  };
}

/**
 * The strategist in words, from its configuration: the model and the endpoint's host (no path, no
 * query, no user info: a URL may carry credentials). The worker decides with the rules when it has
 * no OPENAI_API_KEY; the starter cannot see the worker's environment, so the words say so.
 */
export function strategistWords(s: { kind: 'llm' | 'rules'; model?: string; base_url?: string }): string {
  if (s.kind === 'rules') return 'rules strategist';
  const host = hostOf(s.base_url);
  return `LLM ${s.model ?? ''}${host ? ` at ${host}` : ''} (rules without OPENAI_API_KEY)`.replace(/\s+/g, ' ');
}

function hostOf(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

export function monitorStartMetadata(input: OrderMonitorInput = {}): StartMetadata {
  const every = num((input.intervalMs ?? DEFAULT_MONITOR_INTERVAL_MS) / 1000);
  return {
    staticSummary: `order monitor · every open trade's orders · polls every ${every} s`,
    staticDetails: [
      '**The order monitor**: one workflow watching the exchange orders of every open trade, across symbols.',
      '',
      `- polls order status every ${every} s while anything is watched, and signals each fill, cancel or expiry to \`trader-<SYMBOL>\``,
      '- traders register their trades (watchOrders); the current details list what it watches now',
    ].join('\n'),
  };
}

export function portfolioStartMetadata(input: PortfolioInput): StartMetadata {
  const l = input.limits;
  return {
    staticSummary: `portfolio risk envelope · ${input.symbols.join(', ')} · max ${l.maxOpenTrades} open trades`,
    staticDetails: [
      '**The portfolio**: grants every new trade its slot, reads equity, and HALTS on a breach.',
      '',
      `- **Symbols**: ${input.symbols.join(', ')}`,
      `- **Slots**: at most ${l.maxOpenTrades} open trades, total exposure ${l.maxTotalExposurePercent}% of equity`,
      `- **Kill switch**: daily loss ${l.dailyLossLimitPercent}%, drawdown ${l.maxDrawdownPercent}%`,
      `- **Equity**: read ${cadenceText(input.equityIntervalMs)}`,
    ].join('\n'),
  };
}
