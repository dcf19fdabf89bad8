import type { Command } from 'commander';
import { connectTemporal, temporalTarget, type TemporalSession } from './context';

/** Runs a command body with a Temporal session built from the global options, and always closes it. */
export async function withTemporal<T>(cmd: Command, body: (session: TemporalSession) => Promise<T>): Promise<T> {
  const globals = cmd.optsWithGlobals() as { address?: string; namespace?: string };
  const target = temporalTarget();
  if (globals.address) target.address = globals.address;
  if (globals.namespace) target.namespace = globals.namespace;
  const session = await connectTemporal(target);
  try {
    return await body(session);
  } finally {
    await session.close().catch(() => undefined);
  }
}
