import type { CcxtProBinance } from './ccxtClient';
import { fillOfReport, orderOfReport, type Raw } from './gateway/mapping';
import type { StreamUpdate, UserStreamConnection, UserStreamPort } from './port';

/**
 * The account's user-data stream through ccxt's websocket client (ccxt 4.5.84, Binance spot: the
 * WebSocket API's `userDataStream.subscribe.signature`; src/simulator/userStream.ts serves the same).
 * ccxt connects, signs, subscribes and keeps the connection alive; the updates are read off its
 * message handler, one per executionReport, in the order they came over the wire.
 *
 * Why not ccxt's watchOrders / watchMyTrades: watchOrders merges the reports of one order that
 * arrive between two calls (a fill can vanish), and the two watches resolve independently, so an
 * entry's expiry could be told before the fill that came first (seen in
 * test/integration/monitor-stream.test.ts). The venue's own order is what the trade needs.
 *
 * What ccxt 4.5.84 does not do for us, and this does:
 * - it does not subscribe again after `eventStreamTerminated` (the venue ended the subscription):
 *   the connection fails instead, so the caller builds a fresh one;
 * - when the venue refuses the subscription, ccxt also rejects a promise it keeps for concurrent
 *   subscribers, which nobody awaits here: it is marked handled, else Node ends the process on an
 *   unhandled rejection.
 */
export class CcxtUserStream implements UserStreamPort {
  constructor(private readonly newClient: () => CcxtProBinance) {}

  async connect(): Promise<UserStreamConnection> {
    const pro = this.newClient();
    const connection = new CcxtStreamConnection(pro);
    try {
      await pro.loadMarkets();
      await connection.subscribe();
      return connection;
    } catch (err) {
      await connection.close();
      throw err;
    }
  }
}

/** the WebSocket API client's bits of ccxt 4.5.84 this needs (binance.js ensureUserDataStreamWsSubscribeSignature) */
interface WsClient {
  futures: Record<string, Promise<unknown> | undefined>;
  future(messageHash: string): Promise<unknown>;
}
type MessageHandler = (client: unknown, message: unknown) => void;

const SUBSCRIBING = 'authenticate:signature:spot';
/** ccxt rejects this message hash when the subscription ends (handleEventStreamTerminated) or the connection resets */
const ACCOUNT = 'spot';

class CcxtStreamConnection implements UserStreamConnection {
  private readonly queue: StreamUpdate[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly pro: CcxtProBinance) {
    // every message ccxt's client receives passes here first (ccxt binds handleMessage when it makes the client)
    const target = pro as unknown as { handleMessage: MessageHandler };
    const handle = target.handleMessage.bind(pro);
    target.handleMessage = (client, message) => {
      this.take(message);
      handle(client, message);
    };
  }

  async subscribe(): Promise<void> {
    const url = ((this.pro.urls['api'] as Record<string, any>)['ws']['ws-api'] as Record<string, string>)['spot']!;
    const client = (this.pro as unknown as { client(url: string): WsClient }).client(url);
    const subscribing = (this.pro as unknown as { authenticate(params?: object): Promise<void> }).authenticate({ type: 'spot' });
    void client.futures[SUBSCRIBING]?.catch(() => undefined);
    await subscribing;
    // rejected when the connection resets (dropped, ping-pong missed) or the venue ends the subscription
    void client.future(ACCOUNT).then(
      () => this.fail(new Error('the subscription ended')),
      (reason: unknown) => this.fail(reason instanceof Error ? reason : new Error(`the venue ended the subscription (${JSON.stringify(reason)})`)),
    );
  }

  async next(): Promise<StreamUpdate[]> {
    for (;;) {
      if (this.queue.length > 0) return this.queue.splice(0);
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async close(): Promise<void> {
    this.fail(new Error('closed'));
    await this.pro.close().catch(() => undefined);
  }

  private take(message: unknown): void {
    if (this.failure || !message || typeof message !== 'object') return;
    const wrapped = message as Raw;
    const event = (wrapped.event && typeof wrapped.event === 'object' ? wrapped.event : wrapped) as Raw;
    if (event.e === 'eventStreamTerminated') return this.fail(new Error('the venue ended the subscription (eventStreamTerminated)'));
    if (event.e !== 'executionReport') return;
    try {
      this.queue.push({ order: orderOfReport(event), ...(event.x === 'TRADE' ? { fill: fillOfReport(event) } : {}) });
    } catch (err) {
      return this.fail(new Error(`an executionReport that could not be read: ${(err as Error).message}`));
    }
    this.poke();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
