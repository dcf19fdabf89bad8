import { serviceEnvironment } from './compose';
import { startProcess, waitUntil, type ClusterProcess } from './processes';

/**
 * The Temporal Web UI server as the temporalio/ui image runs it: config/docker.yaml of its module
 * (a template rendered from the environment) with the `temporal-ui` service's environment from
 * docker-compose.yml; only the server's address, the port and the allowed origin are ours.
 */
export function uiEnvironment(temporalAddress: string, port: number): Record<string, string> {
  return {
    ...serviceEnvironment('temporal-ui'),
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_PORT: String(port),
    TEMPORAL_CORS_ORIGINS: `http://localhost:${port}`,
  };
}

export async function startUiServer(binary: string, configDir: string, env: Record<string, string>, logFile: string): Promise<ClusterProcess> {
  const proc = startProcess('Temporal UI server', binary, ['--root', '/', '--config', configDir, '--env', 'docker', 'start'], {
    logFile,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  const url = `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`;
  await waitUntil(
    `the Web UI to answer at ${url}`,
    async () => {
      // the UI's own API, which it answers by asking the Temporal server: proves both ends
      const res = await fetch(`${url}/api/v1/settings`, { signal: AbortSignal.timeout(2_000) });
      return res.ok || `HTTP ${res.status}`;
    },
    { timeoutMs: 60_000, process: proc },
  );
  return proc;
}
