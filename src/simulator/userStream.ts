import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimAccount } from './types';
import type { UserDataEvent, UserDataFeed } from './userData';

/**
 * Binance spot's user-data stream as ccxt 4.5.84 consumes it: over the WebSocket API
 * (`/ws-api/v3`), `userDataStream.subscribe.signature` (apiKey + timestamp signed with HMAC-SHA256
 * over the sorted parameters), answered `{id, status: 200, result: {subscriptionId}}`; every event
 * then comes as `{subscriptionId, event: {...}}`. ccxt's watchOrders / watchMyTrades / watchBalance
 * all ride on it (ccxt's js/src/pro/binance.js: authenticate -> ensureUserDataStreamWsSubscribeSignature).
 * There is no listen key on this path; the venue ends a subscription with `eventStreamTerminated`,
 * which is what `terminate()` sends (a listen key's expiry, for this mechanism).
 *
 * Faults for tests: drop every connection, delay events (order kept), duplicate the next events,
 * end every subscription.
 */
export const USER_STREAM_PATH = '/ws-api/v3';

export interface UserStreamControl {
  /** subscriptions now open (one per subscribed connection) */
  subscriptions(): number;
  /** resolves once exactly `n` subscriptions are open (a reconnect after drop() shows as the count coming back) */
  waitForSubscriptions(n: number): Promise<void>;
  /** how many subscribe requests were accepted so far (each reconnect adds one) */
  subscribeCount(): number;
  /** destroys every stream connection at once, as a network failure would; events meanwhile are lost */
  drop(): void;
  /** holds every event this long before it goes out (0: no delay); order is kept */
  delay(ms: number): void;
  /** the next `count` events go out twice */
  duplicateNext(count?: number): void;
  /** ends every subscription with eventStreamTerminated (the connection stays up) */
  terminate(): void;
  /** every event the engine produced, in order (whether anyone listened or not) */
  events(): readonly UserDataEvent[];
}

interface Subscription {
  id: number;
  account: string;
  socket: WebSocket;
}

export function attachUserStream(
  server: Server,
  feed: UserDataFeed,
  findAccount: (apiKey: string) => SimAccount | undefined,
  log: (line: string) => void,
): UserStreamControl & { close(): void } {
  const wss = new WebSocketServer({ noServer: true });
  const subs = new Map<number, Subscription>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const produced: UserDataEvent[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const lastSendAt = new WeakMap<WebSocket, number>();
  let nextId = 0;
  let accepted = 0;
  let delayMs = 0;
  let duplicates = 0;

  const wake = () => {
    for (const w of [...waiters]) {
      if (subs.size === w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const send = (socket: WebSocket, text: string) => {
    if (delayMs <= 0 && (lastSendAt.get(socket) ?? 0) <= Date.now()) {
      if (socket.readyState === socket.OPEN) socket.send(text);
      return;
    }
    const at = Math.max(Date.now() + delayMs, lastSendAt.get(socket) ?? 0);
    lastSendAt.set(socket, at);
    const t = setTimeout(() => {
      timers.delete(t);
      if (socket.readyState === socket.OPEN) socket.send(text);
    }, at - Date.now());
    timers.add(t);
  };

  const unsubscribeFeed = feed.subscribe((account, event) => {
    produced.push(event);
    if (produced.length > 50_000) produced.splice(0, produced.length - 50_000);
    const copies = duplicates > 0 ? 2 : 1;
    if (duplicates > 0) duplicates--;
    for (const s of subs.values()) {
      if (s.account !== account) continue;
      const text = JSON.stringify({ subscriptionId: s.id, event });
      for (let i = 0; i < copies; i++) send(s.socket, text);
    }
  });

  const answer = (socket: WebSocket, id: unknown, status: number, body: Record<string, unknown>) =>
    socket.send(JSON.stringify({ id, status, ...body }));
  const refuse = (socket: WebSocket, id: unknown, status: number, code: number, msg: string) => answer(socket, id, status, { error: { code, msg } });

  const onRequest = (socket: WebSocket, raw: string) => {
    let msg: { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      refuse(socket, null, 400, -1000, 'Malformed request: not JSON.');
      return;
    }
    const { id, method } = msg;
    const params = msg.params ?? {};
    if (method === 'ping') return answer(socket, id, 200, { result: {} });
    if (method === 'userDataStream.unsubscribe') {
      for (const s of [...subs.values()]) if (s.socket === socket) subs.delete(s.id);
      wake();
      return answer(socket, id, 200, { result: {} });
    }
    if (method !== 'userDataStream.subscribe.signature') {
      return refuse(socket, id, 400, -1020, `This operation is not supported. (simulator has no ${String(method)})`);
    }
    const problem = signatureProblem(params, findAccount, Date.now());
    if (problem) return refuse(socket, id, problem.status, problem.code, problem.msg);
    const sub: Subscription = { id: nextId++, account: String(params.apiKey), socket };
    subs.set(sub.id, sub);
    accepted++;
    answer(socket, id, 200, { result: { subscriptionId: sub.id } });
    wake();
  };

  wss.on('connection', (socket: WebSocket) => {
    socket.on('message', (data) => onRequest(socket, String(data)));
    socket.on('close', () => {
      for (const s of [...subs.values()]) if (s.socket === socket) subs.delete(s.id);
      wake();
    });
    socket.on('error', () => {});
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://simulator').pathname;
    if (path !== USER_STREAM_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  return {
    subscriptions: () => subs.size,
    subscribeCount: () => accepted,
    waitForSubscriptions: (n) =>
      new Promise<void>((resolve) => {
        waiters.push({ n, resolve });
        wake();
      }),
    drop: () => {
      log(`simulator: user-data stream: dropping ${wss.clients.size} connection(s)`);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      subs.clear();
      for (const c of wss.clients) c.terminate();
      wake();
    },
    delay: (ms) => {
      delayMs = Math.max(0, ms);
    },
    duplicateNext: (count = 1) => {
      duplicates += count;
    },
    terminate: () => {
      for (const s of [...subs.values()]) {
        subs.delete(s.id);
        send(s.socket, JSON.stringify({ subscriptionId: s.id, event: { e: 'eventStreamTerminated', E: Date.now() } }));
      }
      wake();
    },
    events: () => produced,
    close: () => {
      unsubscribeFeed();
      server.off('upgrade', onUpgrade);
      for (const t of timers) clearTimeout(t);
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}

/** Binance's WebSocket API signature check: HMAC-SHA256 of the sorted `key=value` pairs but the signature. */
function signatureProblem(
  params: Record<string, unknown>,
  findAccount: (apiKey: string) => SimAccount | undefined,
  wallNow: number,
): { status: number; code: number; msg: string } | null {
  const apiKey = typeof params.apiKey === 'string' ? params.apiKey : undefined;
  const account = apiKey ? findAccount(apiKey) : undefined;
  if (!account) return { status: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' };
  const payload = Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
  const expected = createHmac('sha256', account.apiSecret).update(payload).digest('hex');
  const given = Buffer.from(String(params.signature ?? '').toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    return { status: 400, code: -1022, msg: 'Signature for this request is not valid.' };
  }
  const timestamp = Number(params.timestamp);
  const recvWindow = params.recvWindow !== undefined ? Number(params.recvWindow) : 5000;
  if (!Number.isFinite(timestamp) || timestamp > wallNow + 1000 || wallNow - timestamp > recvWindow) {
    return { status: 400, code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' };
  }
  return null;
}
