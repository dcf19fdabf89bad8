import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerRolesFrom } from '../../src/worker';

test('DE_WORKER_ROLES chooses what a worker process serves; unset means both, as one machine runs it', () => {
  assert.deepEqual(workerRolesFrom({}), ['trading', 'journal']);
  assert.deepEqual(workerRolesFrom({ DE_WORKER_ROLES: 'trading' }), ['trading']);
  assert.deepEqual(workerRolesFrom({ DE_WORKER_ROLES: ' journal ' }), ['journal']);
  assert.deepEqual(workerRolesFrom({ DE_WORKER_ROLES: 'journal,trading,journal' }), ['journal', 'trading']);
});

test('an unknown role is refused, naming it and the valid ones', () => {
  assert.throws(() => workerRolesFrom({ DE_WORKER_ROLES: 'trading,jounral' }), /DE_WORKER_ROLES="trading,jounral": unknown role "jounral"; use trading, journal/);
});
