import type { Client, Connection } from '@temporalio/client';
import type { TradingConfig } from '../config/schema';
import { durationText } from '../contract/displayText';
import type { SymbolTraderState } from '../contract/traderState';
import { queryTraderState, type StartedTrader } from '../cli/traders';
import { offsetCapMs, symbolOffsetMs } from '../domain/cycleSchedule';
import { elapsedText } from './startProgress';

/**
 * The lines after npm start's `ready:` line: when each symbol's first decision comes. With the
 * default `first_cycle: aligned` a fresh trader waits for the next candle close plus its symbol's
 * offset (up to about 16.5 minutes at 15-minute cycles), which a newcomer would otherwise take for
 * a hang; the lines say when, and point to the demo for a trade without the wait. The times are
 * the traders' own (their `state` query), not a guess.
 */

/** what a trader told about its schedule, or why it did not */
export type TraderSchedule = { symbol: string; outcome: StartedTrader['outcome'] } & (
  | { state: Pick<SymbolTraderState, 'nextCycleAt' | 'lastCycleAt'> }
  | { state: null; why: string }
);

type Cadence = Pick<TradingConfig, 'cycle_interval' | 'first_cycle' | 'cycle_offset_max'>;

/** at most this many symbols get a line of their own (and are asked) */
export const SHOWN_SYMBOLS = 5;

const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

/** a cadence of whole minutes, hours or days as a candle's timeframe (15m, 1h, 1d) */
function timeframeOf(ms: number): string | undefined {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return undefined;
}

/** "aligned to the 15m candle close +51 s"; the demo's 7.5 s: "aligned to the 7.5 s cycle grid +0.3 s" */
function alignment(symbol: string, config: Cadence): string {
  const offset = symbolOffsetMs(symbol, offsetCapMs(config.cycle_interval, config.cycle_offset_max));
  const tf = timeframeOf(config.cycle_interval);
  return `aligned to the ${tf ? `${tf} candle close` : `${durationText(config.cycle_interval)} cycle grid`}${offset > 0 ? ` +${elapsedText(offset)}` : ''}`;
}

function line(t: TraderSchedule, config: Cadence, now: number): string {
  const first = t.outcome === 'started';
  const name = `${first ? 'first' : 'next'} decision: ${t.symbol}`;
  if (!t.state) return `${name}: not known yet (${t.why})`;
  const { nextCycleAt, lastCycleAt } = t.state;
  if (first && lastCycleAt !== null) return `${name} at ${clock(lastCycleAt)} (under way)`;
  const when = nextCycleAt > now + 500 ? `in ${elapsedText(nextCycleAt - now)}` : 'due now';
  const how = first && config.first_cycle === 'immediate' ? 'first_cycle: immediate; the cycles after it ' : '';
  return `${name} at ${clock(nextCycleAt)} (${when}), ${how}${alignment(t.symbol, config)}`;
}

/**
 * The lines, pure: one per symbol (the first few), then, unless this is the demo and when some first
 * decision is more than two minutes away (the most a symbol's offset adds), where to see a whole trade at once.
 */
export function decisionLines(traders: readonly TraderSchedule[], config: Cadence, now: number, opts: { demo: boolean; cli: string; symbols?: number }): string[] {
  const shown = traders.slice(0, SHOWN_SYMBOLS);
  const lines = shown.map((t) => `  ${line(t, config, now)}`);
  const more = (opts.symbols ?? traders.length) - shown.length;
  if (more > 0) lines.push(`  ... and ${more} more: ${opts.cli} status shows every symbol's next cycle`);
  const wait = Math.max(0, ...shown.map((t) => (t.state && t.state.lastCycleAt === null ? t.state.nextCycleAt - now : 0)));
  if (!opts.demo && wait > 120_000) {
    lines.push('  to see a whole paper trade without the wait: npm start -- --demo (PENDING to CLOSED in about three minutes, on ports of its own)');
  }
  return lines;
}

/** how long npm start keeps asking a trader that has not answered yet (its first workflow task may still run) */
const ASK_FOR_MS = 10_000;

/** each trader's schedule, from its `state` query; a trader that does not answer in time (or while npm start stops) says why */
export async function traderSchedules(client: Client, connection: Connection, traders: readonly StartedTrader[], stillWanted: () => boolean = () => true): Promise<TraderSchedule[]> {
  return Promise.all(
    traders.map(async (t): Promise<TraderSchedule> => {
      const handle = client.workflow.getHandle(t.workflowId);
      const until = Date.now() + ASK_FOR_MS;
      for (;;) {
        try {
          return { symbol: t.symbol, outcome: t.outcome, state: await queryTraderState(connection, handle) };
        } catch (err) {
          if (Date.now() > until || !stillWanted()) return { symbol: t.symbol, outcome: t.outcome, state: null, why: `its trader did not answer: ${(err as Error).message.split('\n')[0]}` };
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }),
  );
}
