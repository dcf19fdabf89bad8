import { setTimeout as delay } from 'node:timers/promises';
import { startDevServer, TemporalServerError, type DevServerOptions, type TemporalServerHandle } from './temporalServer';

/**
 * `npm start` keeps the dev server it started alive: when the process dies it says so in one
 * line and starts it again on the same database file and ports, with a backoff between attempts.
 * The workflows live in the database, so they carry on where they were; the worker's connection
 * reconnects by itself. After too many failed attempts it gives up with a reason, and npm start
 * exits: a stack that cannot keep its server is better stopped than silently half-alive.
 */

export interface SuperviseOptions {
  /** restart attempts (failed or not) allowed until the server has stayed up for stableAfterMs */
  maxAttempts?: number;
  /** first wait before a restart; doubles each failed attempt, up to maxBackoffMs */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  /** a server that stayed up this long earns a fresh set of attempts when it dies again */
  stableAfterMs?: number;
  log?: (line: string) => void;
  /** the server died (before the restart begins) */
  onDown?: () => void;
  /** a restarted server answers again; what it returns is added to the "back" line (e.g. an outage summary) */
  onBack?: () => string | undefined;
}

export interface SupervisedServer extends TemporalServerHandle {
  /** resolves with the reason when the server could not be brought back (never, while it can) */
  gaveUp: Promise<Error>;
}

export async function superviseDevServer(opts: DevServerOptions, sup: SuperviseOptions = {}): Promise<SupervisedServer> {
  const log = sup.log ?? console.log;
  const maxAttempts = sup.maxAttempts ?? 5;
  const first = sup.firstBackoffMs ?? 1_000;
  const maxBackoff = sup.maxBackoffMs ?? 10_000;
  const stableAfter = sup.stableAfterMs ?? 60_000;

  const initial = await startDevServer(opts);
  let current: TemporalServerHandle = initial;
  let upSince = Date.now();
  let attemptsLeft = maxAttempts;
  let stopping = false;
  const abort = new AbortController();
  let giveUp!: (err: Error) => void;
  const gaveUp = new Promise<Error>((resolveGiveUp) => (giveUp = resolveGiveUp));

  const keepAlive = async (): Promise<void> => {
    while (!stopping) {
      const why = await current.exited!;
      if (stopping) return;
      const diedAt = Date.now();
      if (diedAt - upSince >= stableAfter) attemptsLeft = maxAttempts;
      sup.onDown?.();
      log(`Temporal dev server died (pid ${current.pid}, ${why}): restarting it on ${opts.dbFile} at ${opts.address}`);
      let lastError = 'no attempt left';
      for (let attempt = 1; ; attempt++) {
        if (attemptsLeft <= 0) {
          giveUp(
            new TemporalServerError(
              `the Temporal dev server could not be brought back after ${maxAttempts} attempts ` +
                `(without ${Math.round(stableAfter / 1000)} s of uptime between them; the last: ${lastError}); see ${opts.logFile}`,
            ),
          );
          return;
        }
        attemptsLeft--;
        try {
          // a pause between attempts (not a wait for a condition): a crash loop must not spin
          await delay(Math.min(first * 2 ** (attempt - 1), maxBackoff), undefined, { signal: abort.signal });
        } catch {
          return; // stopping
        }
        try {
          const next = await startDevServer(opts);
          await next.connection.close().catch(() => undefined);
          current = next;
          upSince = Date.now();
          break;
        } catch (err) {
          if (stopping) return;
          lastError = (err as Error).message.split('\n')[0]!.replace(/; see .*$/, '');
          log(`Temporal dev server: restart attempt ${attempt} failed: ${lastError}`);
        }
      }
      if (stopping) return;
      const extra = sup.onBack?.() ?? `down for ${Math.max(1, Math.round((Date.now() - diedAt) / 1000))} s`;
      log(`Temporal dev server is back (pid ${current.pid}): ${extra}`);
    }
  };
  const supervising = keepAlive();

  return {
    address: initial.address,
    namespace: initial.namespace,
    uiUrl: initial.uiUrl,
    startedHere: true,
    // grpc-js reconnects this one to each restarted server (same address)
    connection: initial.connection,
    get pid() {
      return current.pid;
    },
    get exited() {
      return current.exited;
    },
    gaveUp,
    stop: async () => {
      stopping = true;
      abort.abort();
      await initial.connection.close().catch(() => undefined);
      // ends the server the loop is watching, which wakes the loop; a restart in flight then
      // finishes, and what it started is stopped too
      await current.stop();
      await supervising;
      await current.stop();
    },
  };
}
