// The IAM policy of docs/DEPLOY.md against the code: every Cognito operation
// gatehouse signs with its AWS credentials (the "signed" column of the
// operations table in app/aws/cognito.c, the one list cog_call accepts) is
// allowed by the guide's policy and explained in its table, and the policy
// allows nothing the code never calls. No emulator checks IAM, so without
// this a missing action would first show up as AccessDenied on real AWS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

const read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');

// signedOperations reads {"Name", signed, …} rows of op_specs in cognito.c.
function signedOperations() {
  const source = read('app/aws/cognito.c');
  const table = source.slice(source.indexOf('static const struct op_spec op_specs[]'));
  const rows = [...table.slice(0, table.indexOf('};')).matchAll(/\{"([A-Za-z]+)",\s*(true|false),/g)];
  assert.ok(rows.length > 10, 'the operations table was found');
  return new Set(rows.filter((r) => r[2] === 'true').map((r) => r[1]));
}

// policyActions reads the cognito-idp actions of the JSON policy in the guide.
function policyActions(guide) {
  const block = guide.match(/```json\n(\{\n\s+"Version": "2012-10-17"[\s\S]*?)```/);
  assert.ok(block, 'the guide holds an IAM policy document');
  const policy = JSON.parse(block[1]);
  return new Set(policy.Statement.flatMap((s) => [].concat(s.Action))
    .filter((a) => a.startsWith('cognito-idp:')).map((a) => a.slice('cognito-idp:'.length)));
}

test('the IAM policy in docs/DEPLOY.md allows exactly the Cognito operations gatehouse signs', () => {
  const guide = read('docs/DEPLOY.md');
  const signed = signedOperations();
  const allowed = policyActions(guide);
  const explained = new Set([...guide.matchAll(/^\| `cognito-idp:([A-Za-z]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...signed].filter((op) => !allowed.has(op)), [], 'signed but not allowed by the policy');
  assert.deepEqual([...allowed].filter((op) => !signed.has(op)), [], 'allowed but never signed');
  assert.deepEqual([...signed].filter((op) => !explained.has(op)), [], 'signed but not in the table of uses');
  assert.deepEqual([...explained].filter((op) => !signed.has(op)), [], 'in the table but never signed');
});
