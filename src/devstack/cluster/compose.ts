import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../temporalServer';

/**
 * docker-compose.yml is the one place the production cluster is described: the image versions it
 * pins and each service's environment. The plain-process cluster (cluster.ts) reads both from here
 * instead of keeping a copy, and overrides only addresses and ports (see CLUSTER_ADDRESS_KEYS).
 */

export const COMPOSE_FILE = join(PROJECT_ROOT, 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

export function readCompose(file = COMPOSE_FILE): { services: Record<string, ComposeService> } {
  return parse(readFileSync(file, 'utf8'), { merge: true });
}

/** `${NAME:-default}` and `${NAME}` resolved against env (compose's own rule: unset or empty takes the default) */
export function interpolate(value: string, env: NodeJS.ProcessEnv = {}): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
    const set = env[name];
    return set !== undefined && set !== '' ? set : (fallback ?? '');
  });
}

/** the default a `${NAME:-default}` in docker-compose.yml gives (what scripts/cluster-versions.sh reads too) */
export function composeDefault(name: string, file = COMPOSE_FILE): string {
  const m = new RegExp(`\\$\\{${name}:-([^}]+)\\}`).exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`${file} pins no \${${name}:-...}`);
  return m[1]!;
}

export interface ClusterVersions {
  temporal: string;
  adminTools: string;
  ui: string;
  postgresql: string;
}

export function composeVersions(file = COMPOSE_FILE): ClusterVersions {
  return {
    temporal: composeDefault('TEMPORAL_VERSION', file),
    adminTools: composeDefault('TEMPORAL_ADMINTOOLS_VERSION', file),
    ui: composeDefault('TEMPORAL_UI_VERSION', file),
    postgresql: composeDefault('POSTGRESQL_VERSION', file),
  };
}

/** a service's environment as compose would set it with no .env overrides */
export function serviceEnvironment(service: string, env: NodeJS.ProcessEnv = {}, file = COMPOSE_FILE): Record<string, string> {
  const svc = readCompose(file).services[service];
  if (!svc) throw new Error(`${file} has no service ${service}`);
  return Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]));
}

/**
 * The keys the plain-process cluster sets differently from compose, and why: on one machine every
 * part is on 127.0.0.1 at ports the OS hands out, where compose has a network of containers with
 * fixed ports. Everything else is compose's own value.
 */
export const CLUSTER_ADDRESS_KEYS = ['POSTGRES_SEEDS', 'DB_PORT', 'BIND_ON_IP', 'TEMPORAL_ADDRESS', 'TEMPORAL_CORS_ORIGINS'] as const;

/** the temporalio images' working directory, against which relative paths in their environment resolve */
export const IMAGE_WORKDIR = '/etc/temporal';

/**
 * Where a path inside a service's container comes from on the host: through the service's bind
 * mounts (`./host:/container[:ro]`). A path no mount covers is an error naming it.
 */
export function hostPathOf(service: string, containerPath: string, file = COMPOSE_FILE): string {
  const svc = readCompose(file).services[service];
  const absolute = containerPath.startsWith('/') ? containerPath : `${IMAGE_WORKDIR}/${containerPath}`;
  for (const volume of svc?.volumes ?? []) {
    const [host, inside] = volume.split(':');
    if (!host?.startsWith('./') || !inside) continue;
    if (absolute === inside || absolute.startsWith(`${inside}/`)) {
      return join(PROJECT_ROOT, host, absolute.slice(inside.length));
    }
  }
  throw new Error(`docker-compose.yml: no bind mount of service ${service} covers ${absolute}`);
}
