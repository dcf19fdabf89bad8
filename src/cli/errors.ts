/**
 * What the CLI tells a user when it cannot do what was asked. Exit codes: 1 = the command failed
 * (server unreachable, workflow missing, server error), 2 = bad input (usage, invalid or unknown
 * symbol). Both are non-zero so scripts notice.
 */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
