import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { AdjustTrade, CancelOrder, DoNothing, PlanTrade, TradeSetup } from '../domain/commands';
import { parseCompletion } from './parseAnswer';
import { buildPrompt, type Prompt } from './prompt';
import type { DecisionUsage, Proposal, Strategist, StrategistRequest } from './strategist';

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
}

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

  async propose(request: StrategistRequest): Promise<Proposal> {
    let prompt: Prompt;
    try {
      prompt = buildPrompt({
        symbol: request.symbol,
        trade: request.trade,
        snapshot: request.snapshot,
        risk: request.context.risk,
        now: request.snapshot.at,
        maxPromptTokens: this.#options.maxPromptTokens,
      });
    } catch (err) {
      return { ok: false, source: 'llm', stage: 'llm', code: 'PROMPT_ERROR', reason: this.#scrub(messageOf(err)) };
    }
    const structured = this.#options.structuredOutputs ?? true;
    try {
      return this.#read(prompt, await this.#complete(prompt, structured));
    } catch (err) {
      // Some OpenAI-compatible servers reject json_schema response formats: ask once more without.
      if (structured && err instanceof APIError && err.status === 400 && /response_format|json_schema/i.test(err.message)) {
        try {
          return this.#read(prompt, await this.#complete(prompt, false));
        } catch (retryErr) {
          return this.#failure(prompt, retryErr);
        }
      }
      return this.#failure(prompt, err);
    }
  }

  #complete(prompt: Prompt, structured: boolean): Promise<OpenAI.Chat.Completions.ChatCompletion> {
    return this.#client.chat.completions.create({
      model: this.#options.model,
      temperature: this.#options.temperature,
      messages: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user },
      ],
      ...(structured ? { response_format: RESPONSE_FORMAT } : {}),
    });
  }

  #read(prompt: Prompt, completion: OpenAI.Chat.Completions.ChatCompletion): Proposal {
    const choice = completion.choices?.[0];
    const message = choice?.message;
    // an endpoint that echoes the key (in the answer or the reasoning) must not carry it further
    const content = message?.content == null ? message?.content : this.#scrub(message.content);
    const refusal = message?.refusal == null ? message?.refusal : this.#scrub(message.refusal);
    const rawAnswer = message ? (content ?? refusal ?? '') : undefined;
    const parsed = parseCompletion(content, { finishReason: choice?.finish_reason, refusal }, { maxAnswerChars: this.#options.maxAnswerChars });
    const usage = usageOf(completion, this.#options.model);
    const extra = usage ? { usage } : {};
    if (!parsed.ok) {
      return { ok: false, source: 'llm', stage: 'parse', code: parsed.code, reason: this.#scrub(parsed.reason), rawAnswer, prompt, ...extra };
    }
    return { ok: true, source: 'llm', command: parsed.command, rawAnswer, prompt, ...extra };
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

function usageOf(completion: OpenAI.Chat.Completions.ChatCompletion, model: string): DecisionUsage | undefined {
  const u = completion.usage;
  if (!u) return undefined;
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  const promptTokens = n(u.prompt_tokens);
  const completionTokens = n(u.completion_tokens);
  return { model, promptTokens, completionTokens, totalTokens: n(u.total_tokens) || promptTokens + completionTokens };
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
