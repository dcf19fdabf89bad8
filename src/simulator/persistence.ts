import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SimAccountSpec, SimState } from './types';

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
