/**
 * The envelope's limits, as the config states them (src/config/schema.ts, section `risk`), in the
 * form the pure rules and the workflows use. Plain JSON: they travel in workflow inputs.
 */

/** portfolio-wide: held by the one portfolio workflow for every symbol */
export interface PortfolioLimits {
  /** open trades (PENDING entries included) across all symbols */
  maxOpenTrades: number;
  /** sum of open trades' notional (PENDING entries included), % of equity */
  maxTotalExposurePercent: number;
  /** per symbol: that symbol's open notional, % of equity (a symbol not named has only the total cap) */
  maxSymbolExposurePercent: Record<string, number>;
  /** realized plus unrealized loss since the UTC day's starting equity, % of it */
  dailyLossLimitPercent: number;
  /** equity below its peak, % of the peak */
  maxDrawdownPercent: number;
  /** on a halt also close ACTIVE positions at market (otherwise they keep their stop and targets) */
  flattenOnHalt: boolean;
}

/** per symbol: enforced by its symbolTrader */
export interface SymbolEntryRules {
  /** cycles without a new entry after a trade was stopped out */
  cooldownCycles: number;
  /** new trades (entries placed) per symbol per UTC day */
  maxTradesPerDay: number;
  /** a PENDING entry not filled after this long is cancelled by the engine, ms */
  entryTimeoutMs: number;
}
