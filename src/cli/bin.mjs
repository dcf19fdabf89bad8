#!/usr/bin/env node
// The npm bin `dynamic-executor`: loads tsx (the project runs TypeScript directly), then the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../client.ts');
await main(process.argv.slice(2));
