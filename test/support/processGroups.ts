import { readdirSync, readFileSync } from 'node:fs';

/**
 * The process groups of a child the test started, read from /proc, for the tests that must leave
 * no process behind whatever happened. A child spawned detached leads a group of its own, and so
 * does every process it starts detached (npm start's dev server): the child's group alone does not
 * hold them all, so the groups of all its descendants are noted while they run.
 */

interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** the kernel's start time of the process: with the pid, who it is (pids are handed out again) */
  identity: string;
  zombie: boolean;
}

function stat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields restart after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), identity: `${pid}@${fields[19]}`, zombie: fields[0] === 'Z' };
  } catch {
    return undefined; // gone while we looked
  }
}

function everyProcess(): ProcStat[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((e) => stat(Number(e)))
    .filter((s): s is ProcStat => s !== undefined && !s.zombie);
}

export class ProcessGroups {
  /** per group: the processes seen in it */
  readonly #members = new Map<number, Set<string>>();

  /** notes the group of `pid` and of every process descending from it, with who is in them now */
  note(pid: number | undefined): void {
    if (pid === undefined) return;
    const all = everyProcess();
    const tree = new Set<number>([pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of all) {
        if (tree.has(p.ppid) && !tree.has(p.pid)) {
          tree.add(p.pid);
          grew = true;
        }
      }
    }
    const own = stat(process.pid)?.pgid;
    for (const p of all) {
      if (!tree.has(p.pid)) continue;
      if (p.pgid === own) throw new Error(`process ${p.pid} is in this test's own process group: spawn the child detached`);
      if (!this.#members.has(p.pgid)) this.#members.set(p.pgid, new Set());
      this.#members.get(p.pgid)!.add(p.identity);
    }
  }

  get groups(): number[] {
    return [...this.#members.keys()];
  }

  /**
   * SIGKILL to every noted group that still holds a process seen in it (a group id the kernel has
   * since handed to someone else is left alone; this test's own group is never noted).
   */
  killAll(): void {
    const live = everyProcess();
    for (const [group, seen] of this.#members) {
      if (group <= 1 || !live.some((p) => p.pgid === group && seen.has(p.identity))) continue;
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }

  /** the live processes left in the noted groups */
  left(): number[] {
    return everyProcess()
      .filter((p) => this.#members.has(p.pgid))
      .map((p) => p.pid);
  }
}
