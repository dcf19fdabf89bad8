// @ts-check
/**
 * Lint: the promise rules that catch lost errors, and the direction of dependencies between the
 * layers of src/ (domain at the bottom; see README.md "Map of the code"). A rule here is the
 * architecture written down: an import against the direction fails `npm test`.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** every Node built-in by its exact name (builtinModules has sub-paths such as fs/promises), bare and node:-prefixed */
const NODE_BUILTINS = builtinModules.flatMap((m) => [m, `node:${m}`]);
/** packages that do I/O (network, files, processes) or start Temporal workers and clients */
const IO_PACKAGES = [
  'ccxt',
  'openai',
  'csv-parse',
  'csv-parse/*',
  'csv-stringify',
  'csv-stringify/*',
  'commander',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
  'puppeteer-core',
  'playwright-core',
];

/** our layers, as import patterns relative to any file of src/ */
const layer = (name) => [`../${name}`, `../${name}/*`, `../../${name}`, `../../${name}/*`];
const LAYERS = {
  domain: layer('domain'),
  contract: layer('contract'),
  config: layer('config'),
  marketdata: layer('marketdata'),
  journal: layer('journal'),
  strategist: layer('strategist'),
  exchange: layer('exchange'),
  simulator: layer('simulator'),
  oms: layer('oms'),
  activities: layer('activities'),
  workflows: layer('workflows'),
  cli: layer('cli'),
  devstack: layer('devstack'),
  localStack: layer('localStack'),
  portfolioClient: layer('portfolioClient'),
  worker: ['../worker', '../client'],
};

/**
 * What a layer must not import. The direction, bottom up: domain; contract and config (domain
 * only); marketdata, journal, strategist, exchange, simulator; oms (through the exchange port);
 * activities; workflows (domain and contract, and the activities' types only); cli; devstack.
 */
function forbid(names, { allowTypeImports = false, extra = [], message } = {}) {
  return [
    ...names.map((n) => ({ group: LAYERS[n], allowTypeImports, message: `${message ?? 'against the direction of the layers'} (${n})` })),
    ...extra,
  ];
}
const ABOVE_DOMAIN = Object.keys(LAYERS).filter((n) => n !== 'domain');
const pureMessage = (where) => `${where} is pure/deterministic: no Node built-ins, no I/O packages`;
/** the layer rules, and for pure code (domain, contract, workflows) the built-ins and I/O packages too */
const rules = (patterns, pure) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    pure
      ? {
          patterns: [...patterns, { group: ['node:*', ...IO_PACKAGES], message: pureMessage(pure) }],
          paths: NODE_BUILTINS.map((name) => ({ name, message: pureMessage(pure) })),
        }
      : { patterns },
  ],
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', 'data/**', 'dist/**', 'src/cli/bin.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // the code base's own conventions, not what this config is for
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off',
      // our errors carry the cause's message in their own text; adding `cause` is a change of its own
      'preserve-caught-error': 'off',
    },
  },
  { files: ['src/domain/**/*.ts'], rules: rules(forbid(ABOVE_DOMAIN, { message: 'the domain imports nothing of ours' }), 'src/domain') },
  { files: ['src/contract/**/*.ts'], rules: rules(forbid(ABOVE_DOMAIN.filter((n) => n !== 'contract'), { message: 'the contract imports nothing of ours but the domain' }), 'src/contract') },
  { files: ['src/config/**/*.ts'], rules: rules(forbid(ABOVE_DOMAIN.filter((n) => n !== 'config'))) },
  { files: ['src/marketdata/**/*.ts'], rules: rules(forbid(ABOVE_DOMAIN.filter((n) => n !== 'marketdata'))) },
  { files: ['src/journal/**/*.ts'], rules: rules(forbid(ABOVE_DOMAIN.filter((n) => n !== 'journal'))) },
  { files: ['src/strategist/**/*.ts'], rules: rules(forbid(['contract', 'journal', 'exchange', 'simulator', 'oms', 'activities', 'workflows', 'cli', 'devstack', 'worker'])) },
  { files: ['src/exchange/**/*.ts'], rules: rules(forbid(['contract', 'journal', 'strategist', 'simulator', 'oms', 'activities', 'workflows', 'cli', 'devstack', 'worker'])) },
  { files: ['src/simulator/**/*.ts'], rules: rules(forbid(['contract', 'config', 'journal', 'strategist', 'exchange', 'oms', 'activities', 'workflows', 'cli', 'devstack', 'worker'], { message: 'the simulator is its own room' })) },
  {
    files: ['src/oms/**/*.ts'],
    rules: rules(
      forbid(['contract', 'config', 'journal', 'strategist', 'simulator', 'activities', 'workflows', 'cli', 'devstack', 'worker'], {
        extra: [
          {
            group: ['../exchange/gateway', '../exchange/gateway/*', '../exchange/ccxtClient', 'ccxt', '@temporalio/*'],
            message: 'the OMS reaches the exchange through the port (src/exchange/port.ts), never the ccxt adapter',
          },
        ],
      }),
    ),
  },
  { files: ['src/activities/**/*.ts'], rules: rules(forbid(['simulator', 'workflows', 'cli', 'devstack', 'worker'])) },
  {
    files: ['src/workflows/**/*.ts'],
    rules: rules(
      [
        ...forbid(['activities'], { allowTypeImports: true, message: 'workflows may import the activities as types only' }),
        ...forbid(['config', 'marketdata', 'journal', 'strategist', 'exchange', 'simulator', 'oms', 'cli', 'devstack', 'worker']),
      ],
      'src/workflows',
    ),
  },
  // the local stack's pid files, read by both cli and devstack (which must not import each other)
  { files: ['src/localStack/**/*.ts'], rules: rules(forbid(Object.keys(LAYERS).filter((n) => n !== 'localStack'), { message: 'the pid files of the local stack import nothing of ours' })) },
  // calls to the portfolio workflow from outside workflows: used by the activities and the CLI alike
  { files: ['src/portfolioClient/**/*.ts'], rules: rules(forbid(Object.keys(LAYERS).filter((n) => !['domain', 'contract', 'portfolioClient'].includes(n)), { message: 'the portfolio client imports only the domain and the contract' })) },
  { files: ['src/cli/**/*.ts'], rules: rules(forbid(['simulator', 'oms', 'activities', 'workflows', 'devstack', 'worker'], { allowTypeImports: false })) },
);
