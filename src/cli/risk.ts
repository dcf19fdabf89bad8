import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { Command } from 'commander';
import { PORTFOLIO_WORKFLOW_ID } from '../contract/ids';
import { portfolioQuery, resumeUpdate } from '../contract/portfolioApi';
import type { PortfolioView } from '../contract/portfolioState';
import { describeView } from '../contract/portfolioDescribe';
import { CliError } from './errors';
import { withTemporal } from './session';

/**
 * `risk`: the portfolio's envelope as its workflow holds it (equity, day PnL, drawdown from peak,
 * slots, exposure, HALTED or not and why); `resume`: lift a drawdown halt.
 */

async function portfolioView(client: Client): Promise<PortfolioView> {
  try {
    return await client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID).query(portfolioQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`the portfolio workflow (${PORTFOLIO_WORKFLOW_ID}) is not running: start the traders first (start)`);
    throw err;
  }
}

export function riskCommand(): Command {
  return new Command('risk')
    .description('the risk envelope: equity, day PnL, drawdown from peak, slots used, exposure, HALTED or not and why')
    .option('--json', 'print the portfolio state as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withTemporal(cmd, async ({ client }) => {
        const view = await portfolioView(client);
        console.log(opts.json ? JSON.stringify(view, null, 2) : describeView(view));
      });
    });
}

export function resumeCommand(): Command {
  return new Command('resume')
    .description('lift a HALT caused by the maximum drawdown (a daily-loss halt lifts by itself at the next UTC day)')
    .option('--by <WHO>', 'who resumes, for the trade log', process.env.USER ?? 'cli')
    .action(async (opts: { by: string }, cmd: Command) => {
      await withTemporal(cmd, async ({ client }) => {
        await portfolioView(client);
        try {
          const view = await client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID).executeUpdate(resumeUpdate, { args: [{ by: opts.by }] });
          console.log(`resumed: ${describeView(view).split('\n').slice(0, 2).join('; ')}`);
        } catch (err) {
          // the validator's reason (not halted, or a daily-loss halt) is the failure's cause
          if (err instanceof WorkflowUpdateFailedError) throw new CliError((err.cause as Error | undefined)?.message ?? err.message);
          throw err;
        }
      });
    });
}
