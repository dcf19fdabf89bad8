import { Command, CommanderError } from 'commander';
import { cancelCommand } from './cancel';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors';
import { firstLine } from './context';
import { listCommand } from './list';
import { logCommand } from './log';
import { promptCommand } from './promptCommand';
import { resumeCommand, riskCommand } from './risk';
import { startCommand } from './start';
import { statusCommand } from './status';
import { stopCommand } from './stop';

/** Every command of the CLI; `extra` lets the entry add commands defined elsewhere (e.g. prompt). */
export function buildProgram(extra: Command[] = []): Command {
  const program = new Command('dynamic-executor')
    .description('Dynamic Executor: start, stop and watch the symbol trader workflows')
    .option('--address <HOST:PORT>', 'Temporal server (default: TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <NAME>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .option('-c, --config <FILE>', 'trading config (default: TRADING_CONFIG or config/trading_config.yaml)')
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (thisCommand) => {
      const { config } = thisCommand.opts<{ config?: string }>();
      if (config) process.env.TRADING_CONFIG = config;
    });
  const commands = [startCommand(), stopCommand(), statusCommand(), listCommand(), cancelCommand(), logCommand(), promptCommand(), riskCommand(), resumeCommand()];
  for (const cmd of [...commands, ...extra]) {
    program.addCommand(cmd);
  }
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs the CLI and returns the exit code (0 ok, 1 failed, 2 bad input); messages go to stderr. */
export async function runCli(argv: readonly string[], extra: Command[] = []): Promise<number> {
  const program = buildProgram(extra);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed its own message (usage errors) or the help/version text
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof CliError) {
      console.error(`error: ${err.message}`);
      return err.exitCode;
    }
    console.error(`error: ${firstLine(err)}`);
    if (process.env.DE_DEBUG) console.error(err);
    return EXIT_FAILURE;
  }
}
