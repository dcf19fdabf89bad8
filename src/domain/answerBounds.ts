import type { AiCommand } from './commands';

/**
 * Bounds on what a strategist's answer may carry further. A command travels in Temporal payloads
 * (refused past the blob limit, slow long before), the Web UI and the trade log; the model's prose
 * is the one part of it that has no natural size. So its reasoning is kept to a configured length
 * and the rest is cut, with a marker that says how much was cut.
 */

export const DEFAULT_MAX_REASONING_CHARS = 1_000;
/** rejection reasons are ours, but may quote the model (a zod message, a refusal) */
export const MAX_REASON_CHARS = 1_000;

export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…[cut: ${text.length - max} more characters]`;
}

/** the command with its reasoning capped (a missing or null reasoning stays as it is) */
export function capReasoning<C extends AiCommand>(command: C, max: number): C {
  const reasoning = command.reasoning;
  if (typeof reasoning !== 'string' || reasoning.length <= max) return command;
  return { ...command, reasoning: capText(reasoning, max) };
}
