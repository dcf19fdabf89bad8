import { join } from 'node:path';
import { dataDir } from '../config/dataDir';
import { findServer, findStack } from '../localStack/stackFiles';

/**
 * What to tell a user whose command cannot reach Temporal. The local stack's pid files tell the
 * cases apart: npm start runs (its server is down, it is bringing it back), a dev server process
 * exists but does not answer, or nothing of ours is running at all.
 */
export function unreachableMessage(address: string, namespace: string, why: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = dataDir(env);
  const stack = findStack(dir);
  if (stack.kind === 'running') {
    const s = stack.record;
    if (s.address !== address) {
      return (
        `cannot reach the Temporal server at ${address} (${why}); npm start (pid ${s.pid}) runs its Temporal server at ` +
        `${s.address}: use --address ${s.address}, or set TEMPORAL_ADDRESS`
      );
    }
    return (
      `the Temporal server at ${address} is down (${why}); npm start (pid ${s.pid}) is running and starts it again by ` +
      'itself: try again in a moment, and see its terminal if it gives up'
    );
  }
  const server = findServer(join(dir, 'temporal.db'));
  if (server.kind === 'running' && server.record.address === address) {
    return (
      `the Temporal server at ${address} is down (${why}): its dev server process (pid ${server.record.pid}) runs but does ` +
      'not answer, and the npm start that owned it is gone. Run npm start: it stops the leftover server and starts its own'
    );
  }
  return (
    `cannot reach the Temporal server at ${address} (namespace ${namespace}): ${why}. ` +
    'Nothing is running — start it with npm start (or set TEMPORAL_ADDRESS to point at your Temporal server)'
  );
}
