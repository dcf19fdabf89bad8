import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Who a pid is right now: its start time and command line. A pid alone is not an identity (the
 * kernel hands pids out again), so a pid file records both and a later reader compares them.
 * Linux reads /proc; elsewhere `ps` answers the same two questions.
 */
export interface ProcessIdentity {
  pid: number;
  /** opaque but stable for the life of the process: /proc start ticks, or ps's lstart */
  startTime: string;
  /** argv of the process */
  command: string[];
}

function fromProc(pid: number): ProcessIdentity | undefined | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // no /proc at all (macOS): let ps answer; a missing entry: the process is gone
    return code === 'ENOENT' && !procMounted() ? null : undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: fields restart after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // field 22 (starttime) is the 20th after the name; a zombie has exited already
  if (fields[0] === 'Z') return undefined;
  const startTime = fields[19];
  if (!startTime) return undefined;
  let command: string[];
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
  return { pid, startTime, command };
}

let procChecked: boolean | undefined;
function procMounted(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

function fromPs(pid: number): ProcessIdentity | undefined {
  const start = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  const args = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  if (start.status !== 0 || args.status !== 0 || !start.stdout.trim()) return undefined;
  return { pid, startTime: start.stdout.trim(), command: args.stdout.trim().split(/\s+/) };
}

/** The identity of a live process, or undefined when no process has that pid. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const proc = fromProc(pid);
  return proc === null ? fromPs(pid) : proc;
}

/** True while the very process that was recorded lives: same pid AND same start time. */
export function isSameProcess(recorded: { pid: number; startTime: string }): boolean {
  const now = processIdentity(recorded.pid);
  return now !== undefined && now.startTime === recorded.startTime;
}
