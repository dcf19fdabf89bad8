import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The data folder: every file the engine keeps between runs lives there unless the config names
 * another place (the dev server's database and log, the paper account, the pid files of the local
 * stack, when each feed last moved, the LLM's spend of the day). `DE_DATA_DIR` moves it (a second
 * stack beside the first, the tests' temp folders); without it, data/ in the project.
 */

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DE_DATA_DIR ?? resolve(PROJECT_ROOT, 'data'));
}

/** `name` in the data folder: the default of a config path left out (read when the config is parsed) */
export function inDataDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), name);
}
