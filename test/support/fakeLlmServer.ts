import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible chat-completions server for tests, on 127.0.0.1 and an ephemeral port.
 * Each test scripts the answers it wants (a queue, one per request, retries included) and reads back
 * the requests the real openai client sent. An unscripted request gets HTTP 500 "no scripted
 * response", so a test that under-scripts fails loudly instead of hanging.
 */

export type ScriptedResponse =
  | {
      kind: 'completion';
      content: string | null;
      finishReason?: 'stop' | 'length' | 'content_filter';
      refusal?: string | null;
      /** the usage field the answer reports (default 100 prompt + 50 completion tokens) */
      usage?: { prompt_tokens: number; completion_tokens: number };
    }
  | { kind: 'http'; status: number; body: unknown; headers?: Record<string, string> }
  /** never answers: the request stays open until the client gives up (its timeout) */
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** content as a model following the structured output sends it: {"command": {...}} */
export function structured(command: unknown): ScriptedResponse {
  return { kind: 'completion', content: JSON.stringify({ command }) };
}

/** any text as the assistant message (plain JSON, fenced JSON, prose, garbage) */
export function text(content: string): ScriptedResponse {
  return { kind: 'completion', content };
}

export function refusal(message: string): ScriptedResponse {
  return { kind: 'completion', content: null, refusal: message };
}

export function truncated(partial: string): ScriptedResponse {
  return { kind: 'completion', content: partial, finishReason: 'length' };
}

/** an OpenAI-style error body; retry-after-ms 1 keeps the client's retry back-off short in tests */
export function httpError(status: number, message: string, headers: Record<string, string> = { 'retry-after-ms': '1' }): ScriptedResponse {
  return { kind: 'http', status, body: { error: { message, type: 'test_error', code: null } }, headers };
}

export function hang(): ScriptedResponse {
  return { kind: 'hang' };
}

export class FakeLlmServer {
  readonly requests: RecordedRequest[] = [];
  readonly #queue: ScriptedResponse[] = [];
  readonly #server: Server;
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = raw ? JSON.parse(raw) : null;
        } catch {
          /* keep the raw text: the test can see what was sent */
        }
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        this.#notify();
        if (req.method === 'GET' && req.url?.endsWith('/models')) {
          // the cheap request a client makes to see that the endpoint answers
          send(res, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 1_700_000_000, owned_by: 'test' }] });
          return;
        }
        if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
          send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
          return;
        }
        const next = this.#queue.shift();
        if (!next) {
          send(res, 500, { error: { message: 'no scripted response' } }, { 'x-should-retry': 'false' });
          return;
        }
        respond(res, next, (body as { model?: string } | null)?.model ?? 'fake-model');
      });
    });
  }

  static async start(): Promise<FakeLlmServer> {
    const fake = new FakeLlmServer();
    await new Promise<void>((resolve, reject) => {
      fake.#server.once('error', reject);
      fake.#server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.#port = (fake.#server.address() as AddressInfo).port;
    return fake;
  }

  /** base URL the openai client is given, e.g. http://127.0.0.1:54321/v1 */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  enqueue(...responses: ScriptedResponse[]): this {
    this.#queue.push(...responses);
    return this;
  }

  /** scripted responses not consumed yet */
  get pending(): number {
    return this.#queue.length;
  }

  reset(): void {
    this.#queue.length = 0;
    this.requests.length = 0;
  }

  /** resolves once the server has received `count` requests in total */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #notify(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.requests.length >= this.#waiters[i]!.count) this.#waiters.splice(i, 1)[0]!.resolve();
    }
  }
}

function respond(res: ServerResponse, scripted: ScriptedResponse, model: string): void {
  switch (scripted.kind) {
    case 'hang':
      return; // the client's timeout aborts the connection
    case 'http':
      send(res, scripted.status, scripted.body, scripted.headers);
      return;
    case 'completion':
      send(res, 200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: scripted.content, refusal: scripted.refusal ?? null },
            finish_reason: scripted.finishReason ?? 'stop',
            logprobs: null,
          },
        ],
        usage: usageOf(scripted.usage ?? { prompt_tokens: 100, completion_tokens: 50 }),
      });
  }
}

function usageOf(u: { prompt_tokens: number; completion_tokens: number }) {
  return { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
}

/** a scripted completion that reports this usage */
export function withUsage(response: ScriptedResponse, prompt_tokens: number, completion_tokens: number): ScriptedResponse {
  if (response.kind !== 'completion') throw new Error('only a completion reports usage');
  return { ...response, usage: { prompt_tokens, completion_tokens } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
