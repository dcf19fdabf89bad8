import type { TradeEvent } from '../domain/events';
import { tradeQuantities } from '../domain/stateMachine';
import { canonicalSymbol } from '../domain/symbols';
import { isOpen, type Trade } from '../domain/trade';
import { reconcile, type ReconcileReport } from '../oms';
import type { ActivityDeps } from './deps';
import { makeScrub, runStep } from './failures';
import { withHeartbeat } from './heartbeat';
import { activityLogger } from './activityLogger';
import type { ReconcileResult } from '../contract/results';

/**
 * reconcileSymbol: when a symbol workflow starts or resumes, what it believes is compared with the
 * exchange (this symbol's orders only: other symbols are their own workflows' business) and
 * repaired by the OMS; the report is one line per difference, for the Web UI and the trade log.
 */
export function reconcileActivities(deps: Pick<ActivityDeps, 'gateway' | 'secrets'>) {
  const scrub = makeScrub(deps.secrets);
  return {
    async reconcileSymbol(input: { symbol: string; trade: Trade | null }): Promise<ReconcileResult> {
      return runStep('reconcileSymbol', scrub, () =>
        withHeartbeat(async () => {
          const symbol = canonicalSymbol(input.symbol);
          const believed = isOpen(input.trade) ? [input.trade] : [];
          const found = await reconcile(deps.gateway, believed, { symbols: [symbol], log: activityLogger });
          const { trade, unadopted } = tradeToAdopt(believed.length > 0 ? (found.trades[0] ?? input.trade) : input.trade, found.recovered);
          const lines = reportLines(found);
          if (trade && found.recovered.includes(trade)) {
            lines.push(`${trade.id}: adopted as the symbol's trade (${trade.status}, recovered from the exchange)`);
          }
          for (const t of unadopted) {
            lines.push(
              `ALERT ${t.id}: recovered from the exchange (${t.status} ${tradeQuantities(t).open} ${t.symbol}) but NOT adopted: ` +
                `${trade?.id ?? 'another trade'} is the symbol's open trade (one per symbol); its protection keeps resting, ` +
                `no workflow tracks it: close or adopt it by hand`,
            );
          }
          // only the believed trade's events: a recovered trade comes with its facts applied (its
          // appliedEventIds make them duplicates anywhere), and its fills are in the report lines
          const events = found.events.filter((e) => e.tradeId === believed[0]?.id);
          const findings = found.findings.map(({ code, detail }) => ({ code, detail }));
          return { trade: trade ?? null, events, report: lines, highestSequence: found.highestSequences[symbol] ?? 0, ...(findings.length > 0 ? { findings } : {}) };
        }),
      );
    },
  };
}

/**
 * One open trade per symbol: the one the workflow believes in while it is still open, else the
 * newest recovered one; every other recovered trade is returned to be reported loudly.
 */
export function tradeToAdopt(believed: Trade | null, recovered: readonly Trade[]): { trade: Trade | null; unadopted: Trade[] } {
  const newestFirst = [...recovered].sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
  if (isOpen(believed) || newestFirst.length === 0) return { trade: believed, unadopted: newestFirst };
  return { trade: newestFirst[0]!, unadopted: newestFirst.slice(1) };
}

export function reportLines(r: ReconcileReport): string[] {
  const lines: string[] = [];
  for (const e of r.events) lines.push(`caught up: ${describeEvent(e)}`);
  for (const o of r.orphansCancelled) {
    lines.push(`orphan ${o.kind === 'list' ? 'order list' : 'order'} ${o.clientOrderId} on ${o.symbol} cancelled: ${o.reason}`);
  }
  for (const o of r.orphansKept) lines.push(`orphan ${o.clientOrderId} on ${o.symbol} LEFT RESTING: ${o.reason}`);
  for (const o of r.foreignOrders) {
    lines.push(
      `order ${o.exchangeOrderId} (${o.clientOrderId || 'no client id'}) ${o.side} ${o.type} ${o.quantity} ${o.symbol}` +
        `${o.price !== null ? ` @ ${o.price}` : ''} was not placed by this system: left alone`,
    );
  }
  for (const p of r.protectionPlaced) {
    const what = p.orders.map((o) => `${o.clientOrderId} ${o.quantity} stop ${o.stopPrice ?? '?'} target ${o.price ?? '?'}`).join(', ');
    lines.push(`${p.tradeId}: position was not fully protected; placed ${what}`);
  }
  for (const f of r.findings) lines.push(f.detail);
  for (const u of r.unknownTrades) lines.push(`${u.tradeId} (${u.status}): ${u.detail}; ${u.action === 'CANCELLED' ? 'trade cancelled' : 'trade must be closed'}`);
  for (const b of r.balanceMismatches) {
    lines.push(`${b.tradeId}: expects ${b.expected} ${b.asset} held, the exchange shows ${b.onExchange}`);
  }
  lines.push(...r.alerts.map((a) => `ALERT ${a}`));
  return lines;
}

function describeEvent(e: TradeEvent): string {
  switch (e.type) {
    case 'ENTRY_FILLED':
    case 'STOP_FILLED':
    case 'TARGET_FILLED':
    case 'MANUAL_CLOSE':
      return `${e.tradeId} ${e.type} ${e.quantity} @ ${e.price}`;
    case 'ENTRY_CANCELLED':
    case 'POSITION_GONE':
      return `${e.tradeId} ${e.type} (${e.reason})`;
    default:
      return `${e.tradeId} ${e.type}`;
  }
}
