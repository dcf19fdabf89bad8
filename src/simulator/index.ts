import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { routes, type ApiContext } from './api';
import { authenticate } from './auth';
import { MatchingEngine } from './engine';
import { BinanceError } from './errors';
import { FaultBook, faultBody } from './faults';
import { createFeed } from './feed';
import { claimState, loadState, mergeAccounts, saveState } from './persistence';
import type { FaultSpec, SimulatorHandle, SimulatorOptions } from './types';
import { UserDataFeed } from './userData';
import { attachUserStream, USER_STREAM_PATH } from './userStream';
import { simulatorAdmin } from './admin';

export type { FaultSpec, PriceFeedSpec, SimulatorHandle, SimulatorOptions } from './types';
export { FeedMismatch, feedIdentity } from './persistence';

const UNBOUNDED_VOLUME = 1e9;

/**
 * Starts a Binance-spot-compatible exchange on host:port (default 127.0.0.1, ephemeral port).
 * Real ccxt talks to it over HTTP; see README.md in this folder for the matching rules.
 */
export async function startSimulator(opts: SimulatorOptions): Promise<SimulatorHandle> {
  const log = opts.log ?? (() => {});
  const state = claimState(loadState(opts.stateFile), opts.feed, opts.stateFile, opts.onFeedChange ?? 'refuse', log);
  mergeAccounts(state, opts.accounts ?? []);
  const feed = await createFeed(opts.feed, state.clock > 0 && opts.feed.kind !== 'live' ? state.clock : undefined);
  const participation = opts.fillParticipation ?? 0.1;
  // the user-data stream hears every order change the engine makes (userData.ts, userStream.ts)
  const userData = new UserDataFeed(state, (symbol) => {
    const spec = engine.spec(symbol);
    return [spec.baseAsset, spec.quoteAsset];
  });
  const engine: MatchingEngine = new MatchingEngine(
    state,
    { feeRate: opts.feeRate ?? 0.001, feeAsset: opts.feeAsset ?? 'received', participation, log },
    feed.symbols,
    userData,
  );
  for (const symbol of feed.symbols) {
    const n = feed.revealedCount(symbol);
    const candle = feed.candles(symbol)[n - 1];
    if (candle) engine.seed(symbol, candle, state.lastPrices[symbol] ?? candle.close);
  }
  log(`simulator: prices from ${feed.label}`);

  const faults = new FaultBook();
  for (const f of opts.faults ?? []) faults.add(f);
  const ctx: ApiContext = { engine, feed, now: () => feed.clock(), participation };

  const persist = () => {
    if (!opts.stateFile) return;
    state.clock = feed.clock();
    for (const s of feed.symbols) {
      const p = engine.price(s);
      if (p !== undefined) state.lastPrices[s] = p;
    }
    saveState(opts.stateFile, state);
  };

  const sockets = new Set<Socket>();
  const requestLog: { method: string; path: string }[] = [];
  const held = new Set<NodeJS.Timeout>();

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': body.startsWith('<') ? 'text/html' : 'application/json;charset=UTF-8', ...headers });
    res.end(body);
  };

  const execute = (method: string, path: string, rawQuery: string, rawBody: string, apiKey: string | undefined) => {
    const route = routes[`${method} ${path}`];
    if (!route) {
      // -1020 is permanent for ccxt (BadRequest): a client must not retry an endpoint that is not there
      log(`simulator: no endpoint ${method} ${path}`);
      return { status: 400, body: JSON.stringify({ code: -1020, msg: `This operation is not supported. (simulator has no ${method} ${path})` }) };
    }
    const params = new URLSearchParams(rawQuery);
    for (const [k, v] of new URLSearchParams(rawBody)) params.append(k, v);
    try {
      const account = route.signed
        ? authenticate(apiKey, rawQuery, rawBody, params, (k) => engine.account(k), Date.now())
        : undefined;
      const result = route.handle(ctx, { params, account });
      if (route.mutates) persist();
      return { status: 200, body: JSON.stringify(result) };
    } catch (err) {
      if (err instanceof BinanceError) {
        return { status: err.httpStatus, body: JSON.stringify({ code: err.code, msg: err.msg }) };
      }
      log(`simulator: internal error on ${method} ${path}: ${(err as Error).stack ?? err}`);
      return { status: 500, body: JSON.stringify({ code: -1000, msg: 'An unknown error occurred while processing the request.' }) };
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, rawBody: string) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
    const apiKey = req.headers['x-mbx-apikey'] as string | undefined;
    requestLog.push({ method, path });
    if (requestLog.length > 10_000) requestLog.splice(0, requestLog.length - 10_000);
    const fault = faults.take(method, path);
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
      send(res, fault.status, fault.body ?? faultBody(fault.status), headers);
      return;
    }
    if (fault?.kind === 'timeout') {
      if (fault.execute) execute(method, path, rawQuery, rawBody, apiKey);
      // never answer; drop the connection after holdMs (or when the client gives up first)
      const t = setTimeout(() => {
        held.delete(t);
        req.socket.destroy();
      }, fault.holdMs ?? 60_000);
      held.add(t);
      req.socket.once('close', () => {
        clearTimeout(t);
        held.delete(t);
      });
      return;
    }
    const out = execute(method, path, rawQuery, rawBody, apiKey);
    if (fault?.kind === 'lostResponse') {
      req.socket.destroy();
      return;
    }
    send(res, out.status, out.body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const stream = attachUserStream(server, userData, (k) => engine.account(k), log);

  // advances are serialized: a replay timer and a test never interleave candles
  let chain: Promise<void> = Promise.resolve();
  let replayOver = false;
  const advance = (candles = 1): Promise<void> => {
    const run = chain.then(async () => {
      for (let i = 0; i < candles; i++) {
        const step = await feed.step();
        if (step.size === 0) {
          if (!replayOver) log(`simulator: ${feed.label} has no more candles; the market clock stays at ${new Date(feed.clock()).toISOString()}`);
          replayOver = true;
          break;
        }
        for (const [symbol, candle] of step) engine.onCandle(symbol, candle, feed.clock());
      }
      persist();
    });
    chain = run.catch(() => {});
    return run;
  };

  const setPrice = (symbol: string, price: number, volume = UNBOUNDED_VOLUME): Promise<void> => {
    const run = chain.then(() => {
      const spec = engine.spec(symbol);
      const from = engine.price(spec.symbol)!;
      const candle = {
        timestamp: feed.clock(),
        open: from,
        high: Math.max(from, price),
        low: Math.min(from, price),
        close: price,
        volume,
      };
      engine.onCandle(spec.symbol, candle, feed.clock());
      persist();
    });
    chain = run.catch(() => {});
    return run;
  };

  let timer: NodeJS.Timeout | null = null;
  const pause = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  const play = (speed: number) => {
    pause();
    if (!(speed > 0)) throw new Error(`simulator: play speed must be > 0 candles per second, got ${speed}`);
    let busy = false;
    timer = setInterval(() => {
      if (busy) return;
      busy = true;
      advance(1)
        .catch((err) => log(`simulator: advance failed: ${(err as Error).message}`))
        .finally(() => {
          busy = false;
        });
    }, 1000 / speed);
  };

  log(`simulator: listening on ${url}`);
  return {
    url,
    userStreamUrl: `ws://${host}:${address.port}${USER_STREAM_PATH}`,
    stream,
    advance,
    setPrice,
    now: () => feed.clock(),
    faults: { add: (f: FaultSpec) => faults.add(f), clear: () => faults.clear() },
    admin: simulatorAdmin(state, engine, () => feed.clock(), persist),
    play,
    pause,
    requests: () => requestLog,
    close: async () => {
      pause();
      await chain;
      for (const t of held) clearTimeout(t);
      held.clear();
      stream.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      feed.close();
      persist();
    },
  };
}
