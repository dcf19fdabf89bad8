import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTradePnl, STATUS_COLUMNS, statusRow } from '../../src/cli/status';
import type { Trade } from '../../src/domain/trade';
import type { SymbolTraderState } from '../../src/contract/traderState';

const active: Trade = {
  id: 'T-BTCUSDT-000003',
  symbol: 'BTCUSDT',
  direction: 'LONG',
  status: 'ACTIVE',
  entryPrice: 100,
  stopLossPrice: 95,
  takeProfitPrices: [110, 120],
  quantity: 2,
  positionSizePercent: 5,
  entryFills: [{ eventId: 'e1', price: 100, quantity: 2, fee: 0.2, at: 1 }],
  exitFills: [{ eventId: 'x1', price: 110, quantity: 1, fee: 0.1, at: 2, reason: 'TARGET', targetIndex: 0 }],
  orders: [],
  createdAt: 0,
};

function stateWith(trade: Trade | null, lastPrice?: SymbolTraderState['lastPrice']): SymbolTraderState {
  return {
    symbol: 'BTCUSDT', mode: 'paper', phase: 'WAITING', trade, sequence: 3, nextCycleAt: 0, lastCycleAt: null, lastDecision: null,
    seenEventIds: [], journalSeq: 0, runs: 1, lastError: null, stopRequested: false, ...(lastPrice ? { lastPrice } : {}),
  };
}

const pnlCell = (state: SymbolTraderState) => statusRow(state, true, 0)[STATUS_COLUMNS.indexOf('PNL')];

describe('status: PnL', () => {
  it('an ACTIVE trade shows realized PnL of its partial exits and unrealized PnL at the last price', () => {
    // realized: 1 x (110 - 100) - 0.3 fees; unrealized: 1 open x (104 - 100)
    assert.deepEqual(openTradePnl(active, { price: 104, at: 5 }), { realized: 9.7, unrealized: 4, price: 104 });
    assert.equal(pnlCell(stateWith(active, { price: 104, at: 5 })), '9.7, unrealized +4 @ 104');
  });

  it('a SHORT gains when the price falls', () => {
    const short: Trade = { ...active, direction: 'SHORT', exitFills: [] };
    assert.equal(openTradePnl(short, { price: 97, at: 5 })?.unrealized, 6);
    assert.equal(pnlCell(stateWith(short, { price: 103, at: 5 })), '-0.2, unrealized -6 @ 103');
  });

  it('no price yet (a state from before lastPrice existed), a PENDING or a CLOSED trade: realized PnL only', () => {
    assert.equal(pnlCell(stateWith(active)), '');
    assert.equal(pnlCell(stateWith({ ...active, status: 'PENDING', entryFills: [], exitFills: [] }, { price: 104, at: 5 })), '');
    assert.equal(pnlCell(stateWith({ ...active, status: 'CLOSED', realizedPnl: 12.5 }, { price: 104, at: 5 })), '12.5');
    assert.equal(pnlCell(stateWith(null, { price: 104, at: 5 })), '');
  });
});
