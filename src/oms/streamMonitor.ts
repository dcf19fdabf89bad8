import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';
import type { ExchangePort, StreamUpdate, UserStreamConnection, UserStreamPort } from '../exchange/port';
import { parseClientId } from './clientIds';
import { eventsOfUpdate, tradeOfUpdate } from './streamEvents';
import { OrderTracker } from './trackOrders';

/**
 * The streaming monitor's session: hold the account's user-data stream open and tell each owning
 * symbol workflow of every fill, cancel and expiry the moment the exchange pushes it.
 *
 * After every (re)connect, once the venue confirmed the subscription (so nothing can fall between
 * the two), it catches up from REST with a fresh order tracker: whatever changed while nobody
 * listened is told then, then it asks the symbol workflows to reconcile. A dead connection or a
 * subscription the venue ended means a fresh connection. Events carry the poller's ids, and the
 * session remembers what it delivered, so a duplicated event, or a fill both caught up and
 * streamed, goes out once (and the symbol workflow drops any duplicate anyway).
 *
 * The I/O is passed in (the activity wires Temporal): this file knows no Temporal and no ccxt.
 */

export interface StreamSessionPorts {
  stream: UserStreamPort;
  gateway: ExchangePort;
  /** the trades being watched now (the monitor workflow's watch set) */
  watched(): Promise<Trade[]>;
  /** tell the owning symbol workflow; throws when it could not be told (then nothing counts as delivered) */
  deliver(symbol: string, events: TradeEvent[]): Promise<void>;
  /** ask these symbols' workflows to compare their trade with the exchange now */
  reconcileNow(symbols: string[], reason: string): Promise<void>;
  /** settles when the session must end (the activity was cancelled, or its session is over) */
  stopped: Promise<unknown>;
  log(message: string): void;
}

export interface StreamProgress {
  connects: number;
  delivered: number;
  lastError: string | null;
}

/** an update of one of our orders whose trade was not in the watch set yet (its watch may be on the way) */
interface Orphan {
  update: StreamUpdate;
  since: number;
}

const DELIVERED_MEMORY = 10_000;
/** how long an orphan update waits for its trade to be watched before the poller is left to find it */
const ORPHAN_PATIENCE_MS = 60_000;
const ORPHAN_RETRY_MS = 500;
/**
 * how often the watch set is read again while the stream is quiet: a trade registered after the
 * last catch-up gets its own REST catch-up then (what it did before it was watched, e.g. a fill
 * while the connection was down), so that gap is seconds, not the safety poll's interval
 */
const WATCH_REFRESH_MS = 2_000;

export class StreamSession {
  readonly progress: StreamProgress = { connects: 0, delivered: 0, lastError: null };
  private trades: Trade[] = [];
  /** trades read from REST since the current subscription began (the stream covers them from then on) */
  private caughtUp = new Set<string>();
  private watchReadAt = 0;
  private readonly delivered = new Set<string>();
  private orphans: Orphan[] = [];
  private stop = false;
  private reading: { connection: UserStreamConnection; next: Promise<StreamUpdate[]> } | null = null;

  constructor(
    private readonly ports: StreamSessionPorts,
    /** the first reconnect after a healthy connection is at once; then 250 ms doubling up to 5 s */
    private readonly backoffMs = (failures: number) => (failures <= 1 ? 0 : Math.min(5_000, 250 * 2 ** Math.min(failures - 2, 5))),
  ) {
    void ports.stopped.then(
      () => (this.stop = true),
      () => (this.stop = true),
    );
  }

  async run(): Promise<StreamProgress> {
    let failures = 0;
    while (!this.stop) {
      let connection: UserStreamConnection | null = null;
      try {
        connection = await this.untilStopped(this.ports.stream.connect());
        if (!connection) break;
        this.progress.connects++;
        await this.catchUp(this.progress.connects === 1 ? 'user-data stream connected' : 'user-data stream reconnected');
        failures = 0;
        for (;;) {
          const updates = await this.untilStopped(this.nextOrTick(connection));
          if (!updates) break;
          await this.handle(updates);
        }
      } catch (err) {
        failures++;
        this.progress.lastError = err instanceof Error ? err.message : String(err);
        this.ports.log(`user-data stream: ${this.progress.lastError}; a fresh connection follows`);
      } finally {
        await connection?.close();
      }
      if (!this.stop) await this.untilStopped(new Promise((r) => setTimeout(r, this.backoffMs(failures))));
    }
    return this.progress;
  }

  /** REST: what the watched trades' orders did while the stream was not listening */
  private async catchUp(reason: string): Promise<void> {
    this.caughtUp = new Set();
    await this.readWatched();
    if (this.trades.length === 0) return;
    await this.ports.reconcileNow([...new Set(this.trades.map((t) => t.symbol))], reason);
  }

  /** the watch set now; trades new to it since the subscription began are read from REST once */
  private async readWatched(): Promise<void> {
    this.trades = await this.ports.watched();
    this.watchReadAt = Date.now();
    const fresh = this.trades.filter((t) => !this.caughtUp.has(t.id));
    if (fresh.length === 0) return;
    await this.deliverAll(await new OrderTracker(this.ports.gateway).trackOrders(fresh));
    for (const t of fresh) this.caughtUp.add(t.id);
  }

  private async handle(updates: StreamUpdate[]): Promise<void> {
    const now = Date.now();
    const ours = [...this.orphans.map((o) => o.update), ...updates].filter((u) => parseClientId(u.order.clientOrderId) !== null);
    const since = new Map(this.orphans.map((o) => [o.update, o.since]));
    if (ours.some((u) => !tradeOfUpdate(u, this.trades)) || now - this.watchReadAt >= WATCH_REFRESH_MS) await this.readWatched();
    const events: TradeEvent[] = [];
    const orphans: Orphan[] = [];
    for (const update of ours) {
      const trade = tradeOfUpdate(update, this.trades);
      if (!trade) {
        const first = since.get(update) ?? now;
        if (now - first < ORPHAN_PATIENCE_MS) orphans.push({ update, since: first });
        continue;
      }
      const { amountStep } = await this.ports.gateway.marketLimits(trade.symbol);
      events.push(...eventsOfUpdate(trade, update, amountStep));
    }
    this.orphans = orphans;
    await this.deliverAll(events);
  }

  private async deliverAll(events: readonly TradeEvent[]): Promise<void> {
    const bySymbol = new Map<string, TradeEvent[]>();
    const inBatch = new Set<string>();
    for (const event of events) {
      if (this.delivered.has(event.eventId) || inBatch.has(event.eventId)) continue;
      const trade = this.trades.find((t) => t.id === event.tradeId);
      if (!trade) continue;
      inBatch.add(event.eventId);
      bySymbol.set(trade.symbol, [...(bySymbol.get(trade.symbol) ?? []), event]);
    }
    await Promise.all(
      [...bySymbol].map(async ([symbol, batch]) => {
        await this.ports.deliver(symbol, batch);
        for (const e of batch) this.remember(e.eventId);
      }),
    );
  }

  private remember(eventId: string): void {
    this.delivered.add(eventId);
    this.progress.delivered++;
    if (this.delivered.size > DELIVERED_MEMORY) this.delivered.delete(this.delivered.values().next().value!);
  }

  /**
   * the next updates; an empty batch when the watch set is due to be read again (sooner with
   * orphans waiting), so that happens on a quiet stream too (the read still pending then is kept for
   * the next call: nothing it brings is dropped)
   */
  private async nextOrTick(connection: UserStreamConnection): Promise<StreamUpdate[]> {
    const read = (this.reading ??= { connection, next: connection.next() });
    // a read given up on (its connection closed) must not fail unobserved
    void read.next.catch(() => undefined);
    if (read.connection !== connection) {
      this.reading = null;
      return this.nextOrTick(connection);
    }
    let timer: NodeJS.Timeout | undefined;
    const wait = this.orphans.length > 0 ? ORPHAN_RETRY_MS : Math.max(0, this.watchReadAt + WATCH_REFRESH_MS - Date.now());
    const tick = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), wait)));
    try {
      const updates = await Promise.race([read.next, tick]);
      if (updates === null) return [];
      this.reading = null;
      return updates;
    } finally {
      clearTimeout(timer);
    }
  }

  /** the value, or null once the session must stop */
  private async untilStopped<T>(work: Promise<T>): Promise<T | null> {
    if (this.stop) return null;
    const stopped = this.ports.stopped.then(
      () => null,
      () => null,
    );
    return Promise.race([work, stopped]);
  }
}
