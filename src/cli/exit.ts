/**
 * Exits once everything written to stdout and stderr has been handed to the OS. `process.exit` alone
 * drops what is still queued for a pipe (`cli prompt --ask | wc -c` used to lose everything past the
 * pipe's buffer and exit 0): a write of nothing calls back only after the writes before it.
 */
export async function exitAfterFlush(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    // a reader that went away (EPIPE, `| head`) ends the wait too: nothing more can be delivered
    if (stream.destroyed || stream.writableEnded) return resolve();
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}
