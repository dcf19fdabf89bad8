/** The worker's workflowsPath: every workflow the worker hosts, and nothing that does I/O. */
export { symbolTrader } from './symbolTrader';
export { orderMonitor } from './orderMonitor';
export { portfolio } from './portfolio';
