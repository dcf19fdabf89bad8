import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { TradingConfig } from './schema';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_CONFIG_PATH = 'config/trading_config.yaml';

/** Parses and validates config text; errors name the file, the field and what is wrong. */
export function parseConfig(text: string, file = DEFAULT_CONFIG_PATH): TradingConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigError(`${file}: YAML syntax error: ${first.message}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = TradingConfig.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${file}: ${fieldPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`invalid configuration in ${file}:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function loadConfig(file = process.env.TRADING_CONFIG ?? DEFAULT_CONFIG_PATH): TradingConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the configuration file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return parseConfig(text, file);
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top level)';
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

export { z };
