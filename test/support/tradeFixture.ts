import type { Trade } from '../../src/domain/trade';

/**
 * A PENDING BTCUSDT LONG with nothing filled and no orders yet: the starting point of the state
 * machine's unit tests, which override what their case is about (id, size, orders).
 */
export function pendingTrade(overrides: Partial<Trade> = {}): Trade {
  return {
    id: 'T-BTCUSDT-000042',
    symbol: 'BTCUSDT',
    direction: 'LONG',
    status: 'PENDING',
    entryPrice: 65000,
    stopLossPrice: 63500,
    takeProfitPrices: [67500, 69000],
    quantity: 0.01538,
    positionSizePercent: 10,
    entryFills: [],
    exitFills: [],
    orders: [],
    createdAt: 1_000,
    appliedEventIds: [],
    ...overrides,
  };
}
