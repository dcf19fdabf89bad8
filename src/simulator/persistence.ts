import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { PriceFeedSpec, SimAccountSpec, SimState } from './types';

/** The saved state was made with another price feed; the message says both and how to go on. */
export class FeedMismatch extends Error {
  override name = 'FeedMismatch';
  constructor(
    readonly path: string,
    readonly saved: string,
    readonly wanted: string,
  ) {
    super(
      `simulator state ${path} belongs to the price feed "${saved}", not "${wanted}": its market clock and last prices are ` +
        `another market's, and trading on them would place orders far from the real prices. Start the paper account afresh ` +
        `(npm start -- --reset-paper keeps the old file aside as a .bak), or go back to the feed it was made with`,
    );
  }
}

/**
 * What a saved clock and saved last prices belong to: the feed's kind and source, not its symbols
 * (adding a symbol to the same replay is not another market).
 */
export function feedIdentity(spec: PriceFeedSpec): string {
  switch (spec.kind) {
    case 'candles': {
      const files = Object.values(spec.files);
      const dirs = [...new Set(files.map((f) => dirname(resolve(f))))].sort();
      const intervals = [...new Set(files.map((f) => /-([0-9]+[mhd])\.csv$/.exec(basename(f))?.[1] ?? basename(f)))].sort();
      return `candles ${dirs.join(',')} ${intervals.join(',')}`;
    }
    case 'synthetic':
      return `synthetic seed ${spec.seed} every ${spec.intervalMs ?? 15 * 60_000} ms`;
    case 'live':
      return `live ${spec.baseUrl.replace(/\/+$/, '')}`;
  }
}

/**
 * Checks the saved state against the feed about to run. A state of another feed is refused (or,
 * with onFeedChange 'reset', kept aside and replaced by a fresh one); a state saved before feeds
 * were recorded is taken as this feed's (the market-data guard still refuses to trade on prices
 * that disagree with the candles).
 */
export function claimState(
  state: SimState,
  spec: PriceFeedSpec,
  path: string | undefined,
  onFeedChange: 'refuse' | 'reset',
  log: (line: string) => void,
  now = Date.now(),
): SimState {
  const wanted = feedIdentity(spec);
  if (state.feed !== undefined && state.feed !== wanted && path) {
    if (onFeedChange === 'refuse') throw new FeedMismatch(path, state.feed, wanted);
    const aside = `${path}.${new Date(now).toISOString().replace(/[:.]/g, '-')}.bak`;
    renameSync(path, aside);
    log(`simulator: the paper account in ${path} was made with the feed "${state.feed}"; it is kept at ${aside} and a FRESH paper account starts on "${wanted}"`);
    return { ...emptyState(), feed: wanted };
  }
  if (state.feed === undefined && state.clock > 0) {
    log(`simulator: ${path ?? 'the saved state'} does not say which feed it was made with; taking it as "${wanted}"`);
  }
  return { ...state, feed: wanted };
}

export function emptyState(): SimState {
  return {
    version: 1,
    nextOrderId: 1000,
    nextOrderListId: 1,
    nextTradeId: 1,
    nextLockId: 1,
    accounts: {},
    orders: [],
    orderLists: [],
    trades: [],
    locks: [],
    clock: 0,
    lastPrices: {},
  };
}

/** Loads the saved state, or a fresh one when the file does not exist yet. */
export function loadState(path: string | undefined): SimState {
  if (!path) return emptyState();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new Error(`simulator state ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let state: SimState;
  try {
    state = JSON.parse(text) as SimState;
  } catch (err) {
    throw new Error(`simulator state ${path}: not valid JSON (${(err as Error).message}); refusing to start over it`);
  }
  if (state.version !== 1 || typeof state.accounts !== 'object' || !Array.isArray(state.orders)) {
    throw new Error(`simulator state ${path}: unknown format; refusing to start over it`);
  }
  return state;
}

/** Adds configured accounts that the saved state does not know; a saved account is never reset. */
export function mergeAccounts(state: SimState, accounts: SimAccountSpec[]): void {
  for (const a of accounts) {
    if (state.accounts[a.apiKey]) continue;
    state.accounts[a.apiKey] = {
      apiKey: a.apiKey,
      apiSecret: a.apiSecret,
      balances: Object.fromEntries(Object.entries(a.balances).map(([asset, free]) => [asset, { free, locked: 0 }])),
    };
  }
}

/** Atomic save: a crash mid-write leaves the previous file intact. */
export function saveState(path: string, state: SimState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, path);
}
