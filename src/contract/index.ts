/**
 * The contract of the workflow boundary: what the workflows, the activities, the worker, the CLI
 * and the dev stack all share. It imports nothing of ours but the domain, so every side can depend
 * on it without depending on another. Activity signatures are not here: the workflows derive them
 * from the implementations (src/workflows/activities.ts), so the compiler refuses drift.
 */
export * from './ids';
export * from './monitorState';
export * from './portfolioApi';
export * from './portfolioState';
export * from './results';
export * from './searchAttributes';
export * from './signals';
export * from './traderState';
