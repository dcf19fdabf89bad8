import { setTimeout as delay } from 'node:timers/promises';
import { isSameProcess } from '../localStack/processIdentity';
import { findServer, ownerAlive, removeStale, serverPidFile, type ProcessRef } from '../localStack/stackFiles';
import { TemporalServerError } from './temporalServer';

/**
 * A dev server left over from a killed `npm start` (its process group was killed; the server has
 * its own group, so it lives on) is found by the pid file beside its database. It is stopped, and
 * npm start then starts a server it owns on the same database: only a child process tells its
 * parent the moment it dies, which supervision needs, and the workflows lose nothing by it (they
 * live in the database). Never two servers on one database, never one nobody owns.
 */

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    // the process is not our child: no exit event to wait on, so look again shortly
    await delay(100);
  }
  return condition();
}

/** SIGTERM, then SIGKILL; resolves once that very process (pid + start time) is gone. */
export async function stopProcess(ref: ProcessRef, graceMs = 15_000): Promise<void> {
  const gone = () => !isSameProcess(ref);
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(ref.pid, sig);
    } catch {
      // exited meanwhile
    }
  };
  if (gone()) return;
  signal('SIGTERM');
  if (await until(gone, graceMs)) return;
  signal('SIGKILL');
  if (!(await until(gone, 5_000))) throw new TemporalServerError(`process ${ref.pid} did not stop (SIGTERM, then SIGKILL)`);
}

/**
 * Settles whatever the pid file beside `dbFile` names before a server is started on it: a stale
 * file is removed; a live server whose owner is gone is stopped; one whose owner still runs is
 * refused (that owner stops it, not us).
 */
export async function settleLeftoverServer(dbFile: string, log: (line: string) => void = console.log): Promise<void> {
  const found = findServer(dbFile);
  if (found.kind === 'none') return;
  const file = serverPidFile(dbFile);
  if (found.kind === 'stale') {
    log(`Temporal server: ${found.reason}; removing that stale pid file`);
    removeStale(file);
    return;
  }
  const server = found.record;
  if (ownerAlive(server) && server.owner.pid !== process.pid) {
    throw new TemporalServerError(
      `the Temporal dev server on ${dbFile} (pid ${server.pid}, ${server.address}) belongs to process ${server.owner.pid}, ` +
        'which still runs: stop that one first',
    );
  }
  log(
    `Temporal server: a dev server left over from a killed run still runs on ${dbFile} ` +
      `(pid ${server.pid}, ${server.address}); stopping it, then starting one this process owns`,
  );
  await stopProcess(server);
  removeStale(file);
}
