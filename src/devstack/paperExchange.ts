import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TradingConfig } from '../config/schema';
import { paperCredentials } from '../exchange/ccxtClient';
import { FeedMismatch, startSimulator, type SimulatorHandle } from '../simulator';
import { dataDir } from '../config/dataDir';
import type { SelectedFeed } from './priceFeed';
import { StartRefused } from './startChecks';
import type { StartOptions } from './startOptions';

/** The paper exchange `npm start` runs: the simulator with its saved account in data/, on the selected price feed. */

/** the paper account kept aside; returns where it went (null: there was none) */
export function resetPaperAccount(stateFile: string, now = Date.now()): string | null {
  if (!existsSync(stateFile)) return null;
  const aside = `${stateFile}.${new Date(now).toISOString().replace(/[:.]/g, '-')}.bak`;
  renameSync(stateFile, aside);
  return aside;
}

/**
 * The paper exchange as `npm start` runs it. A saved paper account of another price feed (its clock
 * and last prices are another market's) refuses the start, saying how to reset; --reset-paper keeps
 * the old account aside and starts afresh.
 */
export async function startPaperExchange(
  config: TradingConfig,
  feed: SelectedFeed,
  opts: Pick<StartOptions, 'replaySpeed' | 'resetPaper'>,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void = (line) => console.log(line),
): Promise<SimulatorHandle> {
  const where = new URL(config.exchange.simulator_url);
  const paper = paperCredentials(env);
  mkdirSync(dataDir(env), { recursive: true });
  const stateFile = resolve(dataDir(env), 'simulator-state.json');
  if (opts.resetPaper) {
    const aside = resetPaperAccount(stateFile);
    say(aside ? `paper account reset: a fresh one starts; the old one is kept at ${aside}` : 'paper account reset: there was none yet');
  }
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({
      host: where.hostname,
      port: Number(where.port || 80),
      stateFile,
      feed: feed.spec,
      accounts: [{ apiKey: paper.apiKey, apiSecret: paper.secret, balances: config.paper.starting_balances }],
      feeRate: config.paper.fee_rate,
      onFeedChange: 'refuse',
      log: (line) => {
        if (/does not say which feed/.test(line)) say(`WARNING: ${line}`);
      },
    });
  } catch (err) {
    if (err instanceof FeedMismatch) throw new StartRefused(err.message);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartRefused(
        `the exchange simulator cannot listen on ${where.host}: the port is in use (another npm start?). ` +
          'Stop it, or change exchange.simulator_url in the config.',
      );
    }
    throw err;
  }
  // live prices are polled every 2 s from now on; a replay waits for playPaperFeed
  if (feed.spec.kind === 'live') sim.play(0.5);
  return sim;
}

/**
 * A replay advances at replaySpeed x real time from the moment the symbols run (npm start calls
 * this once they do), so the first cycle sees the market where the replay was asked to start
 * however long the worker took to come up.
 */
export function playPaperFeed(sim: SimulatorHandle, feed: SelectedFeed, opts: Pick<StartOptions, 'replaySpeed'>): void {
  if (feed.spec.kind === 'live') return;
  sim.play(opts.replaySpeed / (feed.intervalMs / 1000));
}
