import type { MarketLimits } from '../domain/market';
import type { OrderRef, Trade } from '../domain/trade';
import { ExchangeRejection } from '../exchange/errors';
import type { ExchangePort } from '../exchange/port';
import type { ExchangeOrder } from '../exchange/types';
import { sliceEntryClientId, sliceListClientId, stopLegId, takeProfitLegId } from './clientIds';
import { entrySide } from './exchangeView';
import { stopLegLimitPrice } from './stopLeg';
import type { ProtectionSettings } from './types';

/**
 * Placing slices: one OTOCO per slice (see slicing.ts), all in one parallel round trip. The
 * exchange places a slice's OCO (the shared stop and the slice's target) the instant its entry has
 * filled completely, whether or not this process is alive.
 *
 * Nothing half-placed: when the exchange refuses one slice for good, the slices that went through
 * are cancelled and the refusal is thrown (the command is REJECTED). A transient failure is thrown
 * as it is: the step is retried and adopts every slice that landed (client ids are deterministic).
 */

export interface SliceOrder {
  generation: number;
  /** slice index = the target it sells at */
  index: number;
  quantity: number;
  protectionQuantity: number;
  takeProfitPrice: number;
}

export async function placeSlices(
  gateway: ExchangePort,
  trade: Trade,
  slices: readonly SliceOrder[],
  levels: { entryPrice: number; stopLossPrice: number },
  limits: MarketLimits,
  settings: ProtectionSettings,
): Promise<OrderRef[]> {
  const stopLimit = stopLegLimitPrice(trade, levels.stopLossPrice, limits, settings);
  const settled = await Promise.allSettled(
    slices.map(async (s): Promise<OrderRef[]> => {
      const list = sliceListClientId(trade.id, s.generation, s.index);
      const entryId = sliceEntryClientId(list);
      const placed = await gateway.placeOtoco({
        symbol: trade.symbol,
        side: entrySide(trade),
        entryPrice: levels.entryPrice,
        entryQuantity: s.quantity,
        entryClientOrderId: entryId,
        protectionQuantity: s.protectionQuantity,
        takeProfitPrice: s.takeProfitPrice,
        stopPrice: levels.stopLossPrice,
        ...(stopLimit !== undefined ? { stopLimitPrice: stopLimit } : {}),
        listClientOrderId: list,
        takeProfitClientOrderId: takeProfitLegId(list),
        stopClientOrderId: stopLegId(list),
      });
      const entryLeg = placed.orders.find((o) => o.clientOrderId === entryId);
      return [
        {
          role: 'ENTRY',
          clientOrderId: entryId,
          exchangeOrderId: entryLeg?.exchangeOrderId,
          quantity: s.quantity,
          price: levels.entryPrice,
          status: 'OPEN',
          listClientOrderId: list,
        },
        {
          role: 'OCO',
          clientOrderId: list,
          exchangeOrderId: placed.orderListId,
          targetIndex: s.index,
          quantity: s.protectionQuantity,
          price: s.takeProfitPrice,
          stopPrice: levels.stopLossPrice,
          status: 'OPEN',
        },
      ];
    }),
  );
  const failed = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length === 0) return settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  const transient = failed.find((e) => !(e instanceof ExchangeRejection));
  if (transient) throw transient;
  // refused for good: take back the slices that went through, so nothing rests half-placed
  const through = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])).filter((r) => r.role === 'OCO');
  await Promise.all(through.map((r) => gateway.cancelOrderList(trade.symbol, r.clientOrderId)));
  throw failed[0];
}

/**
 * Stop orders counting against the market's cap (Binance MAX_NUM_ALGO_ORDERS): those on the book,
 * and the stops of OTOCO pairs still waiting for their entry, which the exchange counts too but
 * does not list among open orders (one stop per waiting pair). A list whose stop is on the book is
 * counted there already: an OTOCO whose entry filled has its pair on the book and its filled entry
 * off it, and that entry is no waiting pair.
 */
export async function stopOrdersOnMarket(gateway: ExchangePort, symbol: string, open: readonly ExchangeOrder[]): Promise<number> {
  const onBook = new Map(open.map((o) => [o.clientOrderId, o]));
  const isStop = (o: ExchangeOrder | undefined) => !!o && o.status === 'OPEN' && o.type.startsWith('STOP_LOSS');
  const live = open.filter(isStop).length;
  const lists = (await gateway.fetchOpenOrderLists()).filter((l) => l.symbol === symbol);
  const waiting = lists.reduce((n, l) => {
    if (l.orders.some((o) => isStop(onBook.get(o.clientOrderId)))) return n;
    return n + Math.ceil(l.orders.filter((o) => !onBook.has(o.clientOrderId)).length / 2);
  }, 0);
  return live + waiting;
}
