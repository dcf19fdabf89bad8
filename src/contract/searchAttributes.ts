import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * What a trader filters on in the Web UI (e.g. `TradeStatus = "ACTIVE"`). The keys must be
 * registered on the namespace before a workflow upserts them: the dev stack does it with
 * `temporal operator search-attribute create`, tests through the test environment's options.
 */
export const SymbolKey = defineSearchAttributeKey('Symbol', SearchAttributeType.KEYWORD);
/** PENDING | ACTIVE | CLOSED | CANCELLED, or NONE before the first trade */
export const TradeStatusKey = defineSearchAttributeKey('TradeStatus', SearchAttributeType.KEYWORD);
/** paper | testnet | live | replay */
export const TradingModeKey = defineSearchAttributeKey('TradingMode', SearchAttributeType.KEYWORD);

/** the portfolio workflow: ACTIVE, HALTED_DAILY_LOSS or HALTED_DRAWDOWN (`PortfolioStatus != "ACTIVE"` finds a halt) */
export const PortfolioStatusKey = defineSearchAttributeKey('PortfolioStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [SymbolKey, TradeStatusKey, TradingModeKey, PortfolioStatusKey] as const;
