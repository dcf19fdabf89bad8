import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { AdjustTrade, CancelOrder, DoNothing, PlanTrade, TradeSetup } from '../domain/commands';
import { parseCompletion } from './parseAnswer';
import { buildPrompt, type Prompt } from './prompt';
import { FatalStrategistError, type DecisionUsage, type Proposal, type Strategist, type StrategistRequest } from './strategist';

export interface LlmStrategistOptions {
  /** any OpenAI-compatible endpoint: OpenAI, Ollama, vLLM, LM Studio, OpenRouter */
  baseUrl: string;
  /** from the environment; kept inside the client and scrubbed from everything this returns */
  apiKey: string;
  model: string;
  temperature: number;
  /** per request, milliseconds */
  timeoutMs: number;
  /** retries after the first attempt (timeouts, connection errors, 408/409/429/5xx) */
  maxRetries: number;
  maxPromptTokens: number;
  /** send the command schema as a structured output (default true) */
  structuredOutputs?: boolean;
  /** strategist.max_answer_chars: longer answers are refused unread */
  maxAnswerChars?: number;
  /**
   * Wraps every chat completion (the backtest's answer cache and budget, src/backtest/llm): it may
   * answer from elsewhere or refuse (FatalStrategistError); `call` makes the real request.
   */
  around?: CompletionMiddleware;
  /** replaces system-prompt.md's text (masked backtests take the example symbol out) */
  systemPrompt?: string;
}

/** exactly what decides an answer: the content-address of a cached one */
export interface CompletionRequest {
  model: string;
  baseUrl: string;
  temperature: number;
  system: string;
  user: string;
  /** whether the command schema was sent as a structured output */
  structured: boolean;
}

/** tokens as the API reported them for one completion */
export interface CompletionUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens?: number;
}

/** the part of a chat completion the strategist reads */
export interface CompletionAnswer {
  content: string | null | undefined;
  refusal: string | null | undefined;
  finishReason: string | null | undefined;
  /** false when the completion had no choice at all */
  hasMessage: boolean;
  usage: CompletionUsage | null;
  cached?: boolean;
}

export type CompletionMiddleware = (request: CompletionRequest, call: () => Promise<CompletionAnswer>) => Promise<CompletionAnswer>;

/**
 * The structured-output schema: the domain's four command objects in a wrapper object (OpenAI wants
 * an object at the root). Two adaptations for OpenAI's strict mode, which needs every field listed
 * as required: optional fields become required-but-nullable, and the union is a plain anyOf (the
 * helper does not make the variants of zod 4's discriminated-union `oneOf` strict). The answer is
 * still validated with the domain's AiCommand, which accepts these nulls.
 */
export const LlmAnswer = z.object({
  command: z.union([
    PlanTrade.extend({ reasoning: z.string().nullable() }),
    CancelOrder,
    AdjustTrade.extend({ new_take_profit_prices: TradeSetup.shape.take_profit_prices.nullable() }),
    DoNothing,
  ]),
});

/**
 * Length and range keywords (minLength, exclusiveMinimum, minItems...) are taken out of the schema
 * sent: strict-mode implementations (OpenAI's older models, vLLM, Ollama) differ on which they accept,
 * and some refuse the whole request. The answer is still checked against all of them by AiCommand.
 */
const UNPORTABLE_KEYWORDS = ['minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems'];

function stripUnportable(node: unknown): void {
  if (Array.isArray(node)) node.forEach(stripUnportable);
  else if (node && typeof node === 'object') {
    for (const key of UNPORTABLE_KEYWORDS) delete (node as Record<string, unknown>)[key];
    Object.values(node).forEach(stripUnportable);
  }
}

export const RESPONSE_FORMAT = zodResponseFormat(LlmAnswer, 'trading_command');
stripUnportable(RESPONSE_FORMAT.json_schema.schema);

export class LlmStrategist implements Strategist {
  readonly kind = 'llm' as const;
  readonly description: string;
  readonly #client: OpenAI;
  readonly #options: LlmStrategistOptions;

  constructor(options: LlmStrategistOptions) {
    if (!options.apiKey) throw new Error('the LLM strategist needs an API key (OPENAI_API_KEY)');
    this.#options = options;
    this.description = `llm ${options.model} at ${options.baseUrl}`;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      // the SDK's own logging could print request details; failures are reported through Proposal
      logLevel: 'off',
    });
  }

  /** the model, endpoint and temperature: with the prompt, what an answer depends on */
  get model(): string {
    return this.#options.model;
  }

  /** the prompt propose() sends for a request (estimators and caches build the same one) */
  promptFor(request: StrategistRequest): Prompt {
    const prompt = buildPrompt({
      symbol: request.symbol,
      trade: request.trade,
      snapshot: request.snapshot,
      risk: request.context.risk,
      now: request.snapshot.at,
      maxPromptTokens: this.#options.maxPromptTokens,
    });
    return this.#options.systemPrompt === undefined ? prompt : { ...prompt, system: this.#options.systemPrompt };
  }

  async propose(request: StrategistRequest): Promise<Proposal> {
    let prompt: Prompt;
    try {
      prompt = this.promptFor(request);
    } catch (err) {
      return { ok: false, source: 'llm', stage: 'llm', code: 'PROMPT_ERROR', reason: this.#scrub(messageOf(err)) };
    }
    const structured = this.#options.structuredOutputs ?? true;
    try {
      return this.#read(prompt, await this.#complete(prompt, structured));
    } catch (err) {
      // Some OpenAI-compatible servers reject json_schema response formats: ask once more without.
      if (err instanceof FatalStrategistError) throw err;
      if (structured && err instanceof APIError && err.status === 400 && /response_format|json_schema/i.test(err.message)) {
        try {
          return this.#read(prompt, await this.#complete(prompt, false));
        } catch (retryErr) {
          if (retryErr instanceof FatalStrategistError) throw retryErr;
          return this.#failure(prompt, retryErr);
        }
      }
      return this.#failure(prompt, err);
    }
  }

  #complete(prompt: Prompt, structured: boolean): Promise<CompletionAnswer> {
    const call = async (): Promise<CompletionAnswer> => {
      const completion = await this.#client.chat.completions.create({
        model: this.#options.model,
        temperature: this.#options.temperature,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        ...(structured ? { response_format: RESPONSE_FORMAT } : {}),
      });
      const choice = completion.choices?.[0];
      const usage = completion.usage;
      return {
        content: choice?.message?.content,
        refusal: choice?.message?.refusal,
        finishReason: choice?.finish_reason,
        hasMessage: !!choice?.message,
        usage: usage ? { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0, totalTokens: usage.total_tokens } : null,
      };
    };
    if (!this.#options.around) return call();
    const { model, baseUrl, temperature } = this.#options;
    return this.#options.around({ model, baseUrl, temperature, system: prompt.system, user: prompt.user, structured }, call);
  }

  #read(prompt: Prompt, answer: CompletionAnswer): Proposal {
    // an endpoint that echoes the key (in the answer or the reasoning) must not carry it further
    const content = answer.content == null ? answer.content : this.#scrub(answer.content);
    const refusal = answer.refusal == null ? answer.refusal : this.#scrub(answer.refusal);
    const rawAnswer = answer.hasMessage ? (content ?? refusal ?? '') : undefined;
    const parsed = parseCompletion(content, { finishReason: answer.finishReason, refusal }, { maxAnswerChars: this.#options.maxAnswerChars });
    const usage = answer.usage ? decisionUsage(answer.usage, this.#options.model) : undefined;
    const extras = { rawAnswer, prompt, ...(usage ? { usage } : {}), ...(answer.cached ? { cached: true } : {}) };
    if (!parsed.ok) {
      return { ok: false, source: 'llm', stage: 'parse', code: parsed.code, reason: this.#scrub(parsed.reason), ...extras };
    }
    return { ok: true, source: 'llm', command: parsed.command, ...extras };
  }

  /**
   * A cheap request (the models list) at start-up: null when the endpoint answers, else a warning
   * to show at once, instead of finding out cycle after cycle that every decision is DO_NOTHING.
   * An endpoint without a models list (404) is reachable, which is what this checks.
   */
  async checkEndpoint(timeoutMs = Math.min(this.#options.timeoutMs, 10_000)): Promise<string | null> {
    try {
      await this.#client.models.list({ timeout: timeoutMs, maxRetries: 0 });
      return null;
    } catch (err) {
      if (err instanceof APIError && err.status !== undefined && err.status !== 401 && err.status !== 403) return null;
      const { reason } = classify(err, { ...this.#options, maxRetries: 0, timeoutMs });
      return this.#scrub(`the LLM endpoint cannot be used: ${reason}. Until it answers, every cycle's decision is DO_NOTHING`);
    }
  }

  #failure(prompt: Prompt, err: unknown): Proposal {
    const { code, reason } = classify(err, this.#options);
    return { ok: false, source: 'llm', stage: 'llm', code, reason: this.#scrub(reason), prompt };
  }

  /** the key must never leave this object: not in reasons, answers or logs */
  #scrub(text: string): string {
    return scrubSecret(text, this.#options.apiKey);
  }
}

/** the API's usage field as the budget reads it (a cached answer carries the usage of its original call) */
function decisionUsage(u: CompletionUsage, model: string): DecisionUsage {
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  const promptTokens = n(u.promptTokens);
  const completionTokens = n(u.completionTokens);
  return { model, promptTokens, completionTokens, totalTokens: n(u.totalTokens) || promptTokens + completionTokens };
}

export function scrubSecret(text: string, secret: string): string {
  let out = text;
  if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  // keys that servers echo partly masked (sk-abc...xyz) or that differ from ours
  return out.replace(/\bsk-[A-Za-z0-9_*.-]{6,}/g, '[redacted]');
}

function classify(err: unknown, options: LlmStrategistOptions): { code: string; reason: string } {
  const attempts = `${options.maxRetries + 1} attempt${options.maxRetries === 0 ? '' : 's'}`;
  if (err instanceof APIConnectionTimeoutError) {
    return { code: 'TIMEOUT', reason: `no answer from ${options.baseUrl} within ${options.timeoutMs} ms (${attempts})` };
  }
  if (err instanceof APIConnectionError) {
    return { code: 'CONNECTION_ERROR', reason: `cannot reach ${options.baseUrl} (${attempts}): ${messageOf(err.cause ?? err)}` };
  }
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const code =
      status === 401 || status === 403
        ? 'AUTH_FAILED'
        : status === 429
          ? 'RATE_LIMITED'
          : status >= 500
            ? 'SERVER_ERROR'
            : 'HTTP_ERROR';
    const retried = status === 429 || status >= 500 || status === 408 || status === 409 ? ` (${attempts})` : '';
    return { code, reason: `HTTP ${status} from ${options.baseUrl}${retried}: ${messageOf(err)}` };
  }
  return { code: 'LLM_ERROR', reason: `the LLM call failed: ${messageOf(err)}` };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
