import { Client, Connection } from '@temporalio/client';
import { loadConfig, ConfigError } from '../config/load';
import type { TradingConfig } from '../config/schema';
import { canonicalSymbol } from '../domain/symbols';
import { CliError, EXIT_USAGE } from './errors';
import { unreachableMessage } from './unreachable';

/** Where the CLI finds Temporal, and how long it waits for it before saying it is unreachable. */
export interface TemporalTarget {
  address: string;
  namespace: string;
  connectTimeoutMs: number;
}

export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  return {
    address: env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    connectTimeoutMs: Number(env.DE_CONNECT_TIMEOUT_MS ?? 3_000),
  };
}

export interface TemporalSession {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** Connects and makes one real call, so "unreachable" is reported here and not as a later hang. */
export async function connectTemporal(target: TemporalTarget = temporalTarget()): Promise<TemporalSession> {
  const unreachable = (why: string) => new CliError(unreachableMessage(target.address, target.namespace, why));
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: target.address, connectTimeout: target.connectTimeoutMs });
  } catch (err) {
    throw unreachable(firstLine(err));
  }
  try {
    await connection.withDeadline(Date.now() + target.connectTimeoutMs, () =>
      connection.workflowService.describeNamespace({ namespace: target.namespace }),
    );
  } catch (err) {
    await connection.close().catch(() => undefined);
    // gRPC NOT_FOUND: the server answered, the namespace is what is missing
    if ((err as { code?: number }).code === 5) {
      throw new CliError(`namespace ${target.namespace} does not exist on the Temporal server at ${target.address}`);
    }
    throw unreachable(firstLine(err));
  }
  const client = new Client({ connection, namespace: target.namespace });
  return { client, connection, close: () => connection.close() };
}

export function loadCliConfig(file?: string): TradingConfig {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  }
}

/** BTC/USDT, btcusdt -> BTCUSDT; anything else is a usage error that says what was wrong. */
export function parseSymbol(input: string): string {
  try {
    return canonicalSymbol(input);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT_USAGE);
  }
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** Fixed-width text table (left aligned); empty cells print as '-'. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === '' ? '-' : c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
