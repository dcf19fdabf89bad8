import type { PortfolioLimits, SymbolEntryRules } from '../domain/envelope/limits';
import type { RiskConfig } from './schema';

/** The config's risk section as the envelope's rules and workflows take it. */

export function portfolioLimits(risk: RiskConfig): PortfolioLimits {
  return {
    maxOpenTrades: risk.max_open_trades,
    maxTotalExposurePercent: risk.max_total_exposure_percent,
    maxSymbolExposurePercent: { ...risk.max_symbol_exposure_percent },
    dailyLossLimitPercent: risk.daily_loss_limit_percent,
    maxDrawdownPercent: risk.max_drawdown_percent,
    flattenOnHalt: risk.flatten_on_halt,
  };
}

export function symbolEntryRules(risk: RiskConfig): SymbolEntryRules {
  return {
    cooldownCycles: risk.cooldown_cycles,
    maxTradesPerDay: risk.max_trades_per_symbol_per_day,
    entryTimeoutMs: risk.entry_timeout,
  };
}
