import type { z } from 'zod';
import { AiCommand, COMMAND_ACTIONS } from '../domain/commands';
import { firstDuplicateKey } from './duplicateKeys';

/**
 * Raw LLM text -> one command, or a parse-level rejection that says what is wrong and where.
 * Accepts what models actually send: bare JSON, a fenced ```json block, JSON inside prose, and the
 * structured-output wrapper {"command": {...}}. More than one command is never guessed between.
 */

export type ParseCode =
  | 'EMPTY_ANSWER'
  | 'TRUNCATED'
  | 'REFUSAL'
  | 'INVALID_JSON'
  | 'MULTIPLE_COMMANDS'
  | 'UNKNOWN_ACTION'
  | 'SCHEMA_INVALID'
  | 'DUPLICATE_KEY'
  | 'ANSWER_TOO_LONG';

/** an answer longer than this is not read at all (strategist.max_answer_chars) */
export const DEFAULT_MAX_ANSWER_CHARS = 100_000;

export interface ParseOptions {
  /** longer answers are refused unread: a model that sends megabytes is not answering the question */
  maxAnswerChars?: number;
}

export type ParseResult = { ok: true; command: AiCommand } | { ok: false; code: ParseCode; reason: string };

/** What the chat completion said besides its text. */
export interface CompletionMeta {
  finishReason?: string | null;
  refusal?: string | null;
}

/** A completion (text plus finish reason and refusal) -> command or rejection. */
export function parseCompletion(content: string | null | undefined, meta: CompletionMeta = {}, options: ParseOptions = {}): ParseResult {
  if (meta.refusal) return fail('REFUSAL', `the model refused: ${clip(meta.refusal)}`);
  if (meta.finishReason === 'content_filter') return fail('REFUSAL', 'the answer was stopped by the content filter');
  if (meta.finishReason === 'length') {
    return fail('TRUNCATED', 'the answer was cut off at the token limit (finish_reason "length")');
  }
  return parseAnswer(content ?? '', options);
}

export function parseAnswer(raw: string, options: ParseOptions = {}): ParseResult {
  const max = options.maxAnswerChars ?? DEFAULT_MAX_ANSWER_CHARS;
  if (raw.length > max) {
    return fail('ANSWER_TOO_LONG', `the answer is ${raw.length} characters long, over the limit of ${max} (strategist.max_answer_chars); it was not read`);
  }
  const text = raw.trim();
  if (text === '') return fail('EMPTY_ANSWER', 'the answer is empty');

  const fenced = fencedBlocks(text);
  let json: string;
  if (fenced.length > 1) {
    return fail('MULTIPLE_COMMANDS', `the answer holds ${fenced.length} fenced blocks; exactly one command is allowed`);
  } else if (fenced.length === 1) {
    json = fenced[0]!;
  } else if (/^[[{]/.test(text)) {
    json = text;
  } else if (isJson(text)) {
    json = text; // a JSON scalar (null, "DO_NOTHING", 42): valid JSON, wrong shape
  } else {
    const found = jsonValuesIn(text);
    if (found.complete.length > 1) {
      return fail('MULTIPLE_COMMANDS', `the answer holds ${found.complete.length} JSON objects; exactly one command is allowed`);
    }
    if (found.complete.length === 1) json = found.complete[0]!;
    else if (found.unterminated) return fail('TRUNCATED', 'the JSON in the answer ends before it is complete');
    else return fail('INVALID_JSON', `no JSON object in the answer: "${clip(text)}"`);
  }

  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    const found = jsonValuesIn(json);
    if (found.complete.length > 1) {
      return fail('MULTIPLE_COMMANDS', `the answer holds ${found.complete.length} JSON objects; exactly one command is allowed`);
    }
    if (found.complete.length === 1 && !found.unterminated) {
      json = found.complete[0]!;
      value = JSON.parse(json); // one JSON object with prose around it
    } else if (found.complete.length === 0 && found.unterminated) {
      return fail('TRUNCATED', 'the JSON in the answer ends before it is complete');
    } else {
      return fail('INVALID_JSON', `the answer is not valid JSON: ${(err as Error).message}`);
    }
  }
  const duplicate = firstDuplicateKey(json);
  if (duplicate !== null) {
    return fail('DUPLICATE_KEY', `the key ${clip(duplicate, 80)} appears twice in the same object; the answer is ambiguous, so it is not read`);
  }
  return commandFrom(value);
}

function commandFrom(value: unknown): ParseResult {
  value = unwrap(value);
  if (Array.isArray(value)) {
    if (value.length > 1) return fail('MULTIPLE_COMMANDS', `the answer is a list of ${value.length} commands; exactly one is allowed`);
    return fail('SCHEMA_INVALID', 'the answer must be one JSON object, not a list');
  }
  if (typeof value !== 'object' || value === null) {
    return fail('SCHEMA_INVALID', `the answer must be a JSON object, got ${value === null ? 'null' : typeof value}`);
  }
  const action = (value as Record<string, unknown>).action;
  if (action === undefined) return fail('SCHEMA_INVALID', 'action: missing (expected one of ' + COMMAND_ACTIONS.join(', ') + ')');
  if (typeof action !== 'string' || !(COMMAND_ACTIONS as readonly string[]).includes(action)) {
    return fail('UNKNOWN_ACTION', `action: ${JSON.stringify(action)} is not one of ${COMMAND_ACTIONS.join(', ')}`);
  }
  const parsed = AiCommand.safeParse(value);
  if (!parsed.success) return fail('SCHEMA_INVALID', describeIssues(parsed.error.issues));
  return { ok: true, command: parsed.data };
}

/**
 * {"command": {...}} (structured outputs) and {"commands": [...]} are unwrapped to what they hold;
 * other keys beside it (a model's "analysis") are dropped like any unknown field.
 */
function unwrap(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('action' in value)) {
    const record = value as Record<string, unknown>;
    if ('command' in record && 'commands' in record) return [record.command, record.commands];
    if ('command' in record) return record.command;
    if ('commands' in record) return record.commands;
  }
  return value;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(command)'}: ${issue.message}`)
    .join('; ');
}

function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  const re = /```[a-zA-Z]*[ \t]*\r?\n?([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1]!.trim() !== '') blocks.push(m[1]!.trim());
  }
  return blocks;
}

/** Top-level {...} / [...] spans in text (string-aware), and whether one is left open at the end. */
function jsonValuesIn(text: string): { complete: string[]; unterminated: boolean } {
  const complete: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"' && depth > 0) inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if ((ch === '}' || ch === ']') && depth > 0) {
      depth--;
      if (depth === 0) {
        const span = text.slice(start, i + 1);
        if (span.startsWith('{') || isJson(span)) complete.push(span);
      }
    }
  }
  return { complete: complete.filter(isJson), unterminated: depth > 0 && text[start] === '{' };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function fail(code: ParseCode, reason: string): ParseResult {
  return { ok: false, code, reason };
}

function clip(text: string, max = 120): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}...` : oneLine;
}
