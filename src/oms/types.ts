import type { RiskLimits } from '../domain/risk';
import type { Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import type { OmsLogger } from './logger';

/** How protective orders are shaped. */
export interface ProtectionSettings {
  /**
   * The stop leg's order type. 'STOP_LOSS' (default): a market order once triggered, so a price gap
   * through the stop fills at the first price the market offers (the true loss) instead of skipping
   * a limit and leaving the position unprotected; Binance spot accepts it in OCO and OTOCO lists.
   * 'STOP_LOSS_LIMIT': for venues that refuse market stops in order lists; it rests as a limit
   * `stopLimitSlippage` beyond the trigger, and a gap past that limit leaves it UNFILLED.
   */
  stopType: 'STOP_LOSS' | 'STOP_LOSS_LIMIT';
  /** only for stopType 'STOP_LOSS_LIMIT': the limit's distance beyond the stop (below for a long). 0.005 = 0.5% */
  stopLimitSlippage: number;
}

export const DEFAULT_PROTECTION: ProtectionSettings = { stopType: 'STOP_LOSS', stopLimitSlippage: 0.005 };

export interface OmsContext {
  gateway: ExchangePort;
  /** canonical symbol of the cycle */
  symbol: string;
  /** the symbol's current trade (open or not), as the workflow holds it */
  trade: Trade | null;
  /**
   * the symbol workflow's command sequence number: the new trade's id is tradeIdFor(symbol, sequence),
   * the same on every attempt of the same step
   */
  sequence: number;
  risk: RiskLimits;
  /** open trades across all symbols, for max_open_trades */
  openTradesCount: number;
  /** last price if the caller already has it; else the gateway's ticker is read */
  lastPrice?: number;
  /** epoch ms (the workflow's clock, for determinism of the trade record) */
  now?: number;
  protection?: Partial<ProtectionSettings>;
  /** where OMS alerts are logged as they happen (the activity's logger; a console logger in scripts) */
  log?: OmsLogger;
}

export type { OmsOutcome, OmsResult } from '../domain/omsResult';
