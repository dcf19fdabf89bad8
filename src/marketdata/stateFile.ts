import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Small JSON state files under data/ that must survive a worker restart (the LLM's spend of the
 * day, when each feed last moved). Written whole and atomically (temp file, then rename), so a crash
 * mid-write leaves the previous version; one worker process per file.
 */

/** the saved value, or `fallback` when there is no file yet; a file that cannot be read is an error naming it */
export function readStateFile<T>(path: string, fallback: T, check: (value: unknown) => value is T): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message}); fix or delete it`);
  }
  if (!check(value)) throw new Error(`${path}: not in the expected format; fix or delete it`);
  return value;
}

export function writeStateFile(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1));
  renameSync(tmp, path);
}
