import type { Grants, SlotGrant } from './slots';

/**
 * The safety net behind releasing: the portfolio's grants compared with what the symbol traders
 * really hold. A grant whose trade no longer exists (its trader moved past it, or has no such open
 * trade) is freed; an open trade without a grant (adopted from the exchange, or opened before
 * slots existed) gets one, whatever the limits say, because its exposure is real.
 */

/** what one symbol's trader reports (its `state` query) */
export interface TraderHolding {
  symbol: string;
  /** the trader's last command sequence (a trade id's number is one of them) */
  sequence: number;
  /** its open trade (PENDING or ACTIVE), if any */
  openTrade: { tradeId: string; sequence: number; notional: number } | null;
  /** the slot it holds for an order not placed yet (granted, the OMS step in flight) */
  heldSlot: string | null;
}

/** a trader whose state could not be read says nothing: its grants are kept */
export type TraderReport = { symbol: string; known: true; holding: TraderHolding | null } | { symbol: string; known: false };

export interface GrantChanges {
  freed: Array<{ grant: SlotGrant; why: string }>;
  adopted: SlotGrant[];
}

export function reconcileGrants(grants: Grants, reports: readonly TraderReport[], now: number): GrantChanges {
  const bySymbol = new Map(reports.map((r) => [r.symbol, r]));
  const freed: GrantChanges['freed'] = [];
  for (const grant of Object.values(grants)) {
    const report = bySymbol.get(grant.symbol);
    if (!report || !report.known) continue;
    const why = staleBecause(grant, report.holding);
    if (why) freed.push({ grant, why });
  }
  const adopted: SlotGrant[] = [];
  for (const report of reports) {
    if (!report.known || !report.holding?.openTrade) continue;
    const t = report.holding.openTrade;
    if (grants[t.tradeId]) continue;
    adopted.push({ tradeId: t.tradeId, symbol: report.symbol, sequence: t.sequence, notional: t.notional, grantedAt: now });
  }
  return { freed, adopted };
}

function staleBecause(grant: SlotGrant, holding: TraderHolding | null): string | null {
  if (!holding) return `the trader of ${grant.symbol} does not exist`;
  if (holding.openTrade?.tradeId === grant.tradeId || holding.heldSlot === grant.tradeId) return null;
  // the cycle that asked may still be placing it (its result not in the trader's state yet)
  if (holding.sequence <= grant.sequence) return null;
  return holding.openTrade
    ? `the trader of ${grant.symbol} holds ${holding.openTrade.tradeId}, not ${grant.tradeId}`
    : `the trader of ${grant.symbol} has no open trade ${grant.tradeId} (it is at sequence ${holding.sequence})`;
}
