import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isSameProcess, processIdentity } from './processIdentity';

/**
 * The two files by which a local stack is recognised from outside: `npm-start.pid` in the data
 * dir (the npm start that runs the stack) and `<database>.pid` beside the dev server's SQLite file
 * (the server process, its ports and who owns it). npm start writes them; the next npm start reads
 * them to find a server left over from a killed run, and the CLI to tell "the server is down"
 * from "nothing is running". Each names a process by pid AND start time, so a reused pid is not
 * mistaken for ours.
 */

export const stackLockFile = (dir: string) => join(dir, 'npm-start.pid');
export const serverPidFile = (dbFile: string) => `${dbFile}.pid`;

export interface ProcessRef {
  pid: number;
  startTime: string;
}

/** what `<database>.pid` holds: enough to recognise the server process and to say where it listens */
export interface ServerRecord extends ProcessRef {
  command: string[];
  address: string;
  uiPort: number | null;
  dbFile: string;
  /** the process that started it and stops it */
  owner: ProcessRef;
}

/** what `npm-start.pid` holds */
export interface StackRecord extends ProcessRef {
  address: string;
  namespace: string;
  dbFile: string;
}

export type Finding<T> =
  | { kind: 'none' }
  /** a file is there but the process it names is gone, or its pid now belongs to another program */
  | { kind: 'stale'; reason: string }
  | { kind: 'running'; record: T };

/** This process as a ProcessRef. */
export function selfRef(): ProcessRef {
  const me = processIdentity(process.pid);
  if (!me) throw new Error('cannot read this process own identity');
  return { pid: me.pid, startTime: me.startTime };
}

/** Written whole or not at all: a torn pid file would be read as stale and its server orphaned. */
export function writeRecord(file: string, record: object): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Removes the file only while it still names `pid`: a newer owner's file is left alone. */
export function removeRecord(file: string, pid: number): void {
  const record = readRecord<ProcessRef>(file);
  if (record === undefined || (record !== 'unreadable' && record.pid !== pid)) return;
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

export function removeStale(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function readRecord<T extends ProcessRef>(file: string): T | 'unreadable' | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(text) as T;
    if (!Number.isInteger(record.pid) || typeof record.startTime !== 'string') return 'unreadable';
    return record;
  } catch {
    return 'unreadable';
  }
}

function find<T extends ProcessRef>(file: string, recognise: (command: string[], record: T) => boolean): Finding<T> {
  const record = readRecord<T>(file);
  if (record === undefined) return { kind: 'none' };
  if (record === 'unreadable') return { kind: 'stale', reason: `${file} is not a pid file this program wrote` };
  const now = processIdentity(record.pid);
  if (!now) return { kind: 'stale', reason: `process ${record.pid} named in ${file} is gone` };
  if (now.startTime !== record.startTime || !recognise(now.command, record)) {
    return { kind: 'stale', reason: `pid ${record.pid} named in ${file} now belongs to another program (${now.command.join(' ').slice(0, 80)})` };
  }
  return { kind: 'running', record };
}

/** The dev server process named beside `dbFile`, if that very process still runs on that database. */
export function findServer(dbFile: string): Finding<ServerRecord> {
  return find<ServerRecord>(serverPidFile(dbFile), (command) => command.includes('start-dev') && command.includes(resolve(dbFile)));
}

/** The npm start that runs the stack in `dir`, if it still runs. */
export function findStack(dir: string): Finding<StackRecord> {
  return find<StackRecord>(stackLockFile(dir), () => true);
}

/** True while the process that started a server is alive. */
export function ownerAlive(record: ServerRecord): boolean {
  return isSameProcess(record.owner);
}
