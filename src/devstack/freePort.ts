import { createServer } from 'node:net';

/** A port the OS just handed out on 127.0.0.1 (for servers that cannot listen on port 0 themselves). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/**
 * A free port in [from, to) on 127.0.0.1, tried at random: for servers that store their ports in a
 * narrower type than the OS's ephemeral range allows (Temporal keeps membership ports in a
 * PostgreSQL smallint: below 32768).
 */
export async function freePortIn(from: number, to: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${from} and ${to} on ${host}`);
}
