import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CompletionAnswer, CompletionRequest } from '../../strategist/llmStrategist';

/**
 * LLM answers on disk, content-addressed: the key is the sha256 of the model, the base URL, the
 * temperature, the system prompt and the user prompt (and whether the command schema was sent as a
 * structured output, which changes what the model may answer). One plain JSON file per answer,
 * data/llm-cache/<model>/<key>.json, holding the request's prompts and the answer, so a trader can
 * open one and read what the model was asked and said. Files are written whole (temp file, then
 * rename), so a crash never leaves half an answer.
 */

export const DEFAULT_CACHE_DIR = 'data/llm-cache';

export type CacheMode = 'normal' | 'no-cache' | 'cache-only';
export const CACHE_MODES: readonly CacheMode[] = ['normal', 'no-cache', 'cache-only'];

export interface CachedAnswer {
  key: string;
  request: CompletionRequest;
  answer: Omit<CompletionAnswer, 'cached'>;
}

export function cacheKey(request: CompletionRequest): string {
  // a fixed field order: the key must not depend on how the object was built
  const canonical = JSON.stringify([request.model, request.baseUrl, request.temperature, request.structured, request.system, request.user]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class AnswerCache {
  readonly dir: string;

  constructor(dir: string = DEFAULT_CACHE_DIR) {
    this.dir = dir;
  }

  pathFor(request: CompletionRequest): string {
    return join(this.dir, safeName(request.model), `${cacheKey(request)}.json`);
  }

  async get(request: CompletionRequest): Promise<CachedAnswer | undefined> {
    const path = this.pathFor(request);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${path}: cannot read the cached answer (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
    let entry: CachedAnswer;
    try {
      entry = JSON.parse(text) as CachedAnswer;
    } catch {
      throw new Error(`${path}: the cached answer is not valid JSON; delete the file to ask the model again`);
    }
    if (entry.key !== cacheKey(request)) throw new Error(`${path}: the cached answer belongs to another request (key ${entry.key})`);
    return entry;
  }

  async put(request: CompletionRequest, answer: CompletionAnswer): Promise<string> {
    const path = this.pathFor(request);
    const { cached: _cached, ...stored } = answer;
    const entry: CachedAnswer = { key: cacheKey(request), request, answer: stored };
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(entry, null, 2)}\n`);
    await rename(temp, path);
    return path;
  }
}

/** a model name as a folder name: "openai/gpt-4o-mini" -> "openai_gpt-4o-mini" */
function safeName(model: string): string {
  return model.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'model';
}
