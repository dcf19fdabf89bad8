import type { MatchingEngine } from './engine';
import { round8 } from './markets';
import type { SimState } from './types';

/**
 * What a person does to the account outside any API client: cancels orders in the exchange's app,
 * moves coins away. Tests use it to change the account behind the engine's back (reconciliation
 * must notice); it is not reachable over HTTP.
 */
export interface SimulatorAdmin {
  /** cancels every open order (and order list) of the account on a symbol; returns how many */
  cancelAllOrders(apiKey: string, symbol: string): number;
  /** takes `amount` (default: all) of the FREE balance out of the account (a withdrawal); refuses more than is free; returns what was taken */
  withdraw(apiKey: string, asset: string, amount?: number): number;
}

export function simulatorAdmin(state: SimState, engine: MatchingEngine, now: () => number, changed: () => void): SimulatorAdmin {
  const account = (apiKey: string) => {
    const a = state.accounts[apiKey];
    if (!a) throw new Error(`simulator admin: no account with this API key`);
    return a;
  };
  return {
    cancelAllOrders(apiKey, symbol) {
      account(apiKey);
      const n = engine.cancelAll(apiKey, symbol, now()).length;
      changed();
      return n;
    },
    withdraw(apiKey, asset, amount) {
      const balance = account(apiKey).balances[asset];
      const free = balance?.free ?? 0;
      const take = amount ?? free;
      if (!(take > 0) || take > free + 1e-12) throw new Error(`simulator admin: cannot withdraw ${take} ${asset}, ${free} free`);
      balance!.free = round8(free - take);
      changed();
      return take;
    },
  };
}
