import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable as executable, PROJECT_ROOT } from '../temporalServer';
import { composeVersions } from './compose';

/**
 * The cluster's programs, as scripts/setup-cluster.sh installs them: the Temporal server, its SQL
 * tool and the UI server built at docker-compose.yml's versions into .tools/cluster/<versions>/,
 * PostgreSQL from the distribution, and the Temporal CLI (scripts/setup-temporal.sh) for the
 * namespace script.
 */

export const SETUP_HINT = 'bash scripts/setup-cluster.sh (builds the pinned Temporal server, 5-11 min; see deploy/README.md)';

export class ClusterToolsMissing extends Error {
  override name = 'ClusterToolsMissing';
}

export interface ClusterTools {
  dir: string;
  temporalServer: string;
  sqlTool: string;
  uiServer: string;
  /** the UI server's config directory (config/docker.yaml of its module) */
  uiConfigDir: string;
  /** the server module's schema files (what the admin-tools image has in /etc/temporal/schema) */
  schemaDir: string;
  /** PostgreSQL's bin directory (initdb, postgres, pg_isready) */
  postgresBin: string;
  /** the Temporal CLI (operator commands of deploy/temporal/create-namespace.sh) */
  temporalCli: string;
}

export function clusterToolsDir(root = PROJECT_ROOT): string {
  const v = composeVersions();
  return join(root, '.tools/cluster', `server-${v.temporal}-ui-${v.ui}`);
}

/** PG_BIN, else the newest /usr/lib/postgresql/<major>/bin with initdb (Debian's layout) */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PG_BIN) return executable(join(env.PG_BIN, 'postgres')) ? env.PG_BIN : undefined;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const majors = readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  for (const m of majors) if (executable(join(base, m, 'bin/initdb'))) return join(base, m, 'bin');
  return undefined;
}

/** every tool, or ClusterToolsMissing that says what is missing and what to run */
export function findClusterTools(root = PROJECT_ROOT, env: NodeJS.ProcessEnv = process.env): ClusterTools {
  const dir = clusterToolsDir(root);
  const v = composeVersions();
  const stamp = join(dir, 'installed');
  const want = `server=${v.temporal} ui=${v.ui}`;
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
  const missing: string[] = [];
  if (have !== want) missing.push(`Temporal server ${v.temporal} and UI server ${v.ui} in ${dir}${have ? ` (found ${have})` : ''}`);
  const postgresBin = findPostgresBin(env);
  if (!postgresBin) missing.push('PostgreSQL (Debian: apt-get install postgresql; or set PG_BIN)');
  const temporalCli = env.TEMPORAL_CLI_PATH || join(root, '.tools/py/bin/temporal');
  if (!executable(temporalCli)) missing.push(`the Temporal CLI at ${temporalCli} (bash scripts/setup-temporal.sh)`);
  if (missing.length > 0) {
    throw new ClusterToolsMissing(`the cluster needs ${missing.join('; ')}. Run: ${SETUP_HINT}`);
  }
  return {
    dir,
    temporalServer: join(dir, 'bin/temporal-server'),
    sqlTool: join(dir, 'bin/temporal-sql-tool'),
    uiServer: join(dir, 'bin/temporal-ui-server'),
    uiConfigDir: join(dir, 'ui-config'),
    schemaDir: join(dir, 'schema'),
    postgresBin: postgresBin!,
    temporalCli,
  };
}
