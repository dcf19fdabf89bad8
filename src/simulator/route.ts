import type { MatchingEngine } from './engine';
import type { PriceFeed } from './feed';
import type { SimAccount } from './types';

export interface ApiContext {
  engine: MatchingEngine;
  feed: PriceFeed;
  /** market clock (order and trade times) */
  now: () => number;
  participation: number;
}

export interface Call {
  params: URLSearchParams;
  account?: SimAccount;
}

export interface Route {
  signed: boolean;
  mutates: boolean;
  handle: (ctx: ApiContext, call: Call) => unknown;
}
