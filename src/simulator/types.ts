import type { SimulatorAdmin } from './admin';
import type { Candle } from '../domain/market';
import type { UserStreamControl } from './userStream';

/** Where the simulator's prices come from. */
export type PriceFeedSpec =
  | {
      kind: 'candles';
      /** symbol (BTCUSDT) -> candle CSV in the shared format; all files must share one interval */
      files: Record<string, string>;
      /** market clock to start at (a candle open time); default: after the first 500 candles so history exists */
      startAt?: number;
    }
  | {
      kind: 'synthetic';
      seed: number;
      /** symbol -> starting price */
      start: Record<string, number>;
      /** default 15 minutes */
      intervalMs?: number;
      /** open time of the first revealed candle; default 2024-01-01T00:00Z */
      startAt?: number;
    }
  | {
      kind: 'live';
      /** a Binance-compatible REST base, e.g. https://api.binance.com (the feed appends /api/v3/...) */
      baseUrl: string;
      symbols?: string[];
      /** how often to poll prices; default 2000 ms */
      pollMs?: number;
    };

/** One injected failure. Matches by method and exact path and fires `times` times (default 1). */
export type FaultSpec = {
  method?: string;
  path: string;
  times?: number;
} & (
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  /** hold the request without answering (past the client's timeout); executed first when `execute` */
  | { kind: 'timeout'; holdMs?: number; execute?: boolean }
  /** process the request (the order IS placed), then destroy the connection without a response */
  | { kind: 'lostResponse' }
);

export interface SimAccountSpec {
  apiKey: string;
  apiSecret: string;
  balances: Record<string, number>;
}

export interface SimulatorOptions {
  host?: string;
  port?: number;
  stateFile?: string;
  feed: PriceFeedSpec;
  accounts?: SimAccountSpec[];
  /** default 0.001 (0.1%) */
  feeRate?: number;
  /**
   * 'received' (default, as Binance without BNB): a BUY pays its fee in the base asset it receives,
   * a SELL in the quote asset it receives. 'quote': every fee in the quote asset.
   */
  feeAsset?: 'received' | 'quote';
  /** max share of one candle's volume a single order can fill (default 0.1) */
  fillParticipation?: number;
  faults?: FaultSpec[];
  /**
   * the saved state belongs to another feed (its clock and last prices are another market's):
   * 'refuse' (default) stops the start with FeedMismatch; 'reset' keeps the old file aside as
   * <stateFile>.<time>.bak and starts a fresh paper account, saying so in the log
   */
  onFeedChange?: 'refuse' | 'reset';
  /** logger for lifecycle lines (never receives secrets); default silent */
  log?: (line: string) => void;
}

export interface SimulatorHandle {
  url: string;
  /** the user-data stream (Binance's WebSocket API path), ws://host:port/ws-api/v3 */
  userStreamUrl: string;
  /** the stream's subscriptions and its faults (drop, delay, duplicate, terminate) */
  stream: UserStreamControl;
  advance(candles?: number): Promise<void>;
  /** force a price now: a synthetic candle from the last price to `price` is matched (volume default: unbounded) */
  setPrice(symbol: string, price: number, volume?: number): Promise<void>;
  now(): number;
  faults: { add(f: FaultSpec): void; clear(): void };
  /** changes to the account made outside the API (cancels in the app, withdrawals), for tests */
  admin: SimulatorAdmin;
  play(speed: number): void;
  pause(): void;
  /** every request received so far (method and path), for tests that count calls */
  requests(): readonly { method: string; path: string }[];
  close(): Promise<void>;
}

export type Side = 'BUY' | 'SELL';
export type OrderType =
  | 'LIMIT'
  | 'MARKET'
  | 'STOP_LOSS'
  | 'STOP_LOSS_LIMIT'
  | 'TAKE_PROFIT'
  | 'TAKE_PROFIT_LIMIT'
  | 'LIMIT_MAKER';
export type OrderStatus = 'NEW' | 'PENDING_NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';

export interface SimOrder {
  account: string;
  symbol: string;
  orderId: number;
  orderListId: number;
  clientOrderId: string;
  side: Side;
  type: OrderType;
  timeInForce: string;
  price: number;
  stopPrice: number;
  origQty: number;
  executedQty: number;
  cummulativeQuoteQty: number;
  origQuoteOrderQty: number;
  status: OrderStatus;
  time: number;
  updateTime: number;
  workingTime: number;
  /** stop/take-profit orders: the trigger has fired and the order now works as a limit/market order */
  triggered: boolean;
  /** lock group this order draws on (shared by OCO legs) */
  lockId: number | null;
}

export interface SimOrderList {
  account: string;
  symbol: string;
  orderListId: number;
  listClientOrderId: string;
  contingencyType: 'OCO' | 'OTO';
  /** OTOCO: the working order's id; pending orders are the rest */
  workingOrderId: number | null;
  orderIds: number[];
  transactionTime: number;
  /** OTOCO pending OCO pair waits for the working order to fill fully */
  pendingActivated: boolean;
}

export interface SimTrade {
  account: string;
  symbol: string;
  id: number;
  orderId: number;
  orderListId: number;
  price: number;
  qty: number;
  quoteQty: number;
  commission: number;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}

/** Funds reserved by open orders: `perUnit * remainingQty` of `asset`. OCO legs share one lock. */
export interface SimLock {
  id: number;
  account: string;
  asset: string;
  perUnit: number;
  remainingQty: number;
}

export interface SimBalance {
  free: number;
  locked: number;
}

export interface SimAccount {
  apiKey: string;
  apiSecret: string;
  balances: Record<string, SimBalance>;
}

export interface SimState {
  version: 1;
  nextOrderId: number;
  nextOrderListId: number;
  nextTradeId: number;
  nextLockId: number;
  accounts: Record<string, SimAccount>;
  orders: SimOrder[];
  orderLists: SimOrderList[];
  trades: SimTrade[];
  locks: SimLock[];
  /** market clock when saved */
  clock: number;
  /** last price per symbol when saved (restores setPrice moves) */
  lastPrices: Record<string, number>;
  /**
   * which price feed the clock and last prices belong to (feedIdentity); absent in files saved
   * before it was recorded
   */
  feed?: string;
}

export type { Candle };
