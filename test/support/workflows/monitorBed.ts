import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { TradeEvent } from '../../../src/domain/events';
import { orderEventSignal, reconcileNowSignal, stopSignal } from '../../../src/contract/signals';

/*
 * The workflows of the streaming-monitor tests: the product's orderMonitor, and in the place of a
 * symbol workflow (id trader-<SYMBOL>) a listener that keeps every signal the monitor's stream
 * sends it, as it arrived (duplicates included), so a test sees exactly what was delivered.
 */
export { orderMonitor } from '../../../src/workflows/orderMonitor';

export interface Received {
  events: TradeEvent[];
  reconciles: string[];
}
export const receivedQuery = defineQuery<Received>('received');

export async function signalListener(): Promise<void> {
  const got: Received = { events: [], reconciles: [] };
  let stop = false;
  setHandler(orderEventSignal, (payload) => {
    got.events.push(...(Array.isArray(payload) ? payload : [payload]));
  });
  setHandler(reconcileNowSignal, (request) => {
    got.reconciles.push(request?.reason ?? '');
  });
  setHandler(receivedQuery, () => got);
  setHandler(stopSignal, () => {
    stop = true;
  });
  await condition(() => stop);
}
