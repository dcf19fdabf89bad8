import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { tradeNotional, markToMarket, plannedEntryNotional } from '../domain/envelope/notional';
import type { TraderReport } from '../domain/envelope/reconcileGrants';
import type { SlotDecision } from '../domain/envelope/slots';
import { tradeSequenceOf } from '../domain/newTrade';
import { splitSymbol } from '../domain/symbols';
import { isOpen } from '../domain/trade';
import { traderWorkflowId } from '../contract/ids';
import type { AccountEquity, SlotDraft } from '../contract/portfolioState';
import { stateQuery } from '../contract/signals';
import type { ActivityDeps } from './deps';
import { makeScrub, runStep } from './failures';
import { withHeartbeat } from './heartbeat';
import { askForSlot, giveBackSlot } from '../portfolioClient';

/**
 * The portfolio's I/O: the account's equity for the kill switch, the traders' real holdings for
 * reconciling grants, and the traders' side of slots (Updates on the portfolio workflow).
 */
export function portfolioActivities(deps: Pick<ActivityDeps, 'gateway' | 'secrets' | 'temporalClient' | 'portfolio'>) {
  const scrub = makeScrub(deps.secrets);
  const client = (): Client => deps.temporalClient ?? Context.current().client;
  const start = () => ({ input: deps.portfolio, taskQueue: Context.current().info.taskQueue });

  return {
    async readAccountEquity(input: { symbols: string[] }): Promise<AccountEquity> {
      return runStep('readAccountEquity', scrub, () =>
        withHeartbeat(async () => {
          const quote = splitSymbol(input.symbols[0] ?? 'BTCUSDT').quote;
          const balances = [...(await deps.gateway.fetchBalances()).values()];
          const prices = new Map<string, number>();
          let at = 0;
          const wanted = new Set([...input.symbols.map((s) => splitSymbol(s).base), ...balances.filter((b) => b.total > 0).map((b) => b.asset)]);
          wanted.delete(quote);
          for (const base of [...wanted].sort()) {
            try {
              const ticker = await deps.gateway.fetchTicker(`${base}${quote}`);
              prices.set(base, ticker.last);
              at = Math.max(at, ticker.timestamp);
            } catch {
              // an asset without a market in the quote currency: named in `unpriced` if held
            }
          }
          const { equity, unpriced } = markToMarket(balances, quote, prices);
          const parts = balances.filter((b) => b.total > 0).map((b) => (b.asset === quote ? `${b.asset} ${round(b.total)}` : `${b.asset} ${b.total}@${prices.get(b.asset) ?? '?'}`));
          return { equity, quote, at: at || Date.now(), detail: `${parts.join(' + ') || 'empty'} = ${round(equity)} ${quote}`, unpriced };
        }),
      );
    },

    async listTraderHoldings(input: { symbols: string[] }): Promise<TraderReport[]> {
      return runStep('listTraderHoldings', scrub, async () => {
        const reports: TraderReport[] = [];
        for (const symbol of input.symbols) reports.push(await holdingOf(client(), symbol));
        return reports;
      });
    },

    async requestSlot(input: SlotDraft): Promise<SlotDecision> {
      return runStep('requestSlot', scrub, async () => {
        const free = (await deps.gateway.fetchBalance(splitSymbol(input.symbol).quote)).free;
        const notional = plannedEntryNotional(free, input.positionSizePercent);
        return askForSlot(client(), start(), { tradeId: input.tradeId, symbol: input.symbol, sequence: input.sequence, notional });
      });
    },

    async releaseSlot(input: { tradeId: string; reason: string }): Promise<{ released: boolean }> {
      return runStep('releaseSlot', scrub, () => giveBackSlot(client(), start(), input.tradeId, input.reason));
    },
  };
}

/** a trader's holding from its `state` query; unreadable (no worker, a timeout) says nothing */
export async function holdingOf(client: Client, symbol: string): Promise<TraderReport> {
  try {
    const state = await client.workflow.getHandle(traderWorkflowId(symbol)).query(stateQuery);
    const trade = isOpen(state.trade) ? state.trade : null;
    return {
      symbol,
      known: true,
      holding: {
        symbol,
        sequence: state.sequence,
        openTrade: trade ? { tradeId: trade.id, sequence: tradeSequenceOf(trade.id, symbol) ?? state.sequence, notional: tradeNotional(trade) } : null,
        heldSlot: state.envelope?.heldSlot?.tradeId ?? null,
      },
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { symbol, known: true, holding: null };
    return { symbol, known: false };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
