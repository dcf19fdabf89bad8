import { findStack, removeRecord, selfRef, stackLockFile, writeRecord, type StackRecord } from '../localStack/stackFiles';

/**
 * One `npm start` per data dir: `npm-start.pid` says which process runs the stack there and where
 * its Temporal server listens. A second start is refused while the first runs; a file left by a
 * killed run (its process gone, or the pid now someone else's) is simply replaced. The CLI reads it
 * to tell "the server is down" (the stack runs) from "nothing is running".
 */

export class StackBusy extends Error {
  override name = 'StackBusy';
}

/** Claims the data dir for this process; returns the release (idempotent). */
export function claimStack(dir: string, where: Omit<StackRecord, 'pid' | 'startTime'>): () => void {
  const file = stackLockFile(dir);
  const found = findStack(dir);
  if (found.kind === 'running' && found.record.pid !== process.pid) {
    throw new StackBusy(
      `npm start is already running this stack (pid ${found.record.pid}, Temporal at ${found.record.address}, data in ${dir}): ` +
        'stop it first (Ctrl-C in its terminal), or give this one another DE_DATA_DIR',
    );
  }
  const record: StackRecord = { ...selfRef(), ...where };
  writeRecord(file, record);
  const release = () => removeRecord(file, record.pid);
  process.once('exit', release);
  return () => {
    process.removeListener('exit', release);
    release();
  };
}
