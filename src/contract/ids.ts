/**
 * Workflow ids are part of the product's contract: the CLI, the monitor and the Web UI find a
 * symbol's workflow by them, and order client ids derive from them. Never from a run id.
 */
export const TRADER_WORKFLOW_PREFIX = 'trader-';
export const ORDER_MONITOR_WORKFLOW_ID = 'order-monitor';
/** the one workflow that holds the portfolio-wide risk envelope (slots, exposure, kill switch) */
export const PORTFOLIO_WORKFLOW_ID = 'portfolio';
/** the task queue the worker polls and clients start workflows on */
export const TASK_QUEUE = 'dynamic-executor';

export function traderWorkflowId(symbol: string): string {
  return `${TRADER_WORKFLOW_PREFIX}${symbol}`;
}

/**
 * The trade log's own task queue, beside the workflows' queue: the one process that serves it
 * writes the CSV journal, however many workers serve the workflows (deploy/README.md, "One trade
 * log across workers").
 */
export function journalTaskQueue(taskQueue: string): string {
  return `${taskQueue}-journal`;
}
