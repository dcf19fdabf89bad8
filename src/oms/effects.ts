import type { TradeEvent } from '../domain/events';
import type { TradeEffect } from '../domain/stateMachine';
import type { Trade } from '../domain/trade';
import type { ExchangePort } from '../exchange/port';
import { applyEvents } from './applyEvents';
import { cancelEntry } from './cancelPendingOrder';
import { cancelProtectionAndReadFills, ensureProtection } from './protection';
import type { ProtectionSettings } from './types';

/**
 * Carries out the exchange effects the state machine asks for (ENSURE_PROTECTION, CANCEL_ENTRY,
 * CANCEL_PROTECTION; JOURNAL is the trade log's business and is skipped here). Every step is
 * idempotent, so an activity running this can be retried freely. Returns the events produced (for
 * the workflow to apply like any order event) and the trade with them applied.
 */
export async function carryOutEffects(
  gateway: ExchangePort,
  trade: Trade,
  effects: readonly TradeEffect[],
  opts: { protection?: Partial<ProtectionSettings> } = {},
): Promise<{ trade: Trade; events: TradeEvent[]; alerts: string[] }> {
  let current = trade;
  const events: TradeEvent[] = [];
  const alerts: string[] = [];
  const take = (more: TradeEvent[]) => {
    events.push(...more);
    current = applyEvents(current, more);
  };
  for (const effect of effects) {
    if (effect.tradeId !== trade.id) continue;
    switch (effect.type) {
      case 'ENSURE_PROTECTION': {
        const p = await ensureProtection(gateway, current, { quantity: effect.quantity, protection: opts.protection });
        take(p.events);
        alerts.push(...p.alerts);
        break;
      }
      case 'CANCEL_ENTRY':
        take((await cancelEntry(gateway, current, `remainder of the entry cancelled: trade ${current.status}`)).events);
        break;
      case 'CANCEL_PROTECTION': {
        take((await cancelProtectionAndReadFills(gateway, current)).events);
        break;
      }
      case 'JOURNAL':
        break;
    }
  }
  return { trade: current, events, alerts };
}
