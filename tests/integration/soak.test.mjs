// The soak, shortened for `make test` (make soak runs it for ten
// minutes). Mixed traffic at a steady rate through nginx (tests/soak/
// soak.mjs): every answer the expected one, worker memory flat after the
// warm-up, no descriptor growth in the master or the workers.
//   SOAK_SECONDS (default 45) and SOAK_RATE (requests/s, default 40).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak } from '../soak/soak.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS || 45);
const RATE = Number(process.env.SOAK_RATE || 40);

test(`soak: ${SECONDS} s of mixed traffic at ${RATE}/s with 0 errors, flat memory, no descriptor growth`,
  { timeout: (SECONDS + 120) * 1000 }, async (t) => {
    // make test SANITIZE=1: ASan's quarantine makes memory grow by design.
    const result = await runSoak({ seconds: SECONDS, rate: RATE, checkMemory: process.env.SANITIZE !== '1' });
    for (const line of result.report.split('\n')) t.diagnostic(line);
    assert.equal(result.figures.errors, 0, 'no errors');
    assert.ok(result.figures.rate >= RATE * 0.95, `the rate held (${result.figures.rate.toFixed(1)}/s)`);
    // The problems first: a CI summary may cut the long report.
    assert.deepEqual(result.problems, [], `${result.problems.join('; ')}\n${result.report}`);
  });
