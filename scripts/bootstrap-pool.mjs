#!/usr/bin/env node
// bootstrap-pool.mjs — the default tenant's user pool in the local Cognito.
//
// Called by scripts/stack.sh after cognito-local answers. It makes sure that
// the pool, its app client, the `admin` group and one admin user exist, and
// prints the settings gatehouse needs as KEY=VALUE lines on stdout (progress
// goes to stderr):
//   COGNITO_USER_POOL_ID=...  COGNITO_CLIENT_ID=...  COGNITO_CLIENT_SECRET=
// It is idempotent: ids given with --pool-id/--client-id are reused while
// cognito-local still knows them, and only what is missing is created. The
// admin's email and password live in the --admin-file (KEY=VALUE, mode 600):
// a new admin gets a temporary password and chooses their own at the first
// login; an admin that exists is left alone (see ensureAdmin).
//
// The pool is shaped as DESIGN.md's "tenant create" shapes every pool: email
// as the username, auto-verified email, the password policy, and the custom
// attributes tenant_id (immutable) and user_tier (mutable).
//
// Usage: node scripts/bootstrap-pool.mjs --endpoint http://127.0.0.1:9229
//          [--pool-id ID] [--client-id ID] [--pool-name NAME]
//          [--tenant default] --admin-file var/dev/admin.env
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const REQUEST_TIMEOUT_MS = 5000;
const ADMIN_GROUP = 'admin';
const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_TIER = 'premium';

const { values: opt } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    'pool-id': { type: 'string', default: '' },
    'client-id': { type: 'string', default: '' },
    'pool-name': { type: 'string', default: 'gatehouse-default' },
    tenant: { type: 'string', default: 'default' },
    'admin-file': { type: 'string' },
  },
});
if (!opt.endpoint || !opt['admin-file']) {
  console.error('usage: bootstrap-pool.mjs --endpoint URL --admin-file PATH [--pool-id ID] [--client-id ID]');
  process.exit(2);
}

const log = (msg) => console.error(`bootstrap-pool: ${msg}`);

// One call of the Cognito JSON 1.1 API. Resolves with the parsed answer;
// rejects with an Error whose .type is Cognito's error type
// (e.g. "ResourceNotFoundException").
async function cognito(action, body) {
  const res = await fetch(opt.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    const err = new Error(`${action}: ${res.status} ${data.__type ?? ''} ${data.message ?? ''}`.trim());
    err.type = data.__type ?? '';
    throw err;
  }
  return data;
}

// Runs a call that may fail only because the thing does not exist; resolves
// with null in that case.
async function lookup(action, body) {
  try {
    return await cognito(action, body);
  } catch (err) {
    if (/NotFound/.test(err.type)) return null;
    throw err;
  }
}

// The optional work details a sign-up may carry (mutable custom attributes).
const PROFILE_ATTRIBUTES = ['company', 'department', 'role'].map((Name) => ({
  Name, AttributeDataType: 'String', Mutable: true,
  StringAttributeConstraints: { MinLength: '0', MaxLength: '100' },
}));

// What the app client may read and write. The tier and the tenant are
// readable (tokens and GetUser carry them) but never writable: only
// gatehouse, with admin calls, sets them, so no user can change their own
// tier with their own token. gatehouse checks this at start-up too.
const READ_ATTRIBUTES = ['email', 'email_verified', 'name', 'custom:tenant_id', 'custom:user_tier',
  'custom:company', 'custom:department', 'custom:role'];
const WRITE_ATTRIBUTES = ['email', 'name', 'custom:company', 'custom:department', 'custom:role'];
const CLIENT_SETTINGS = {
  ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  PreventUserExistenceErrors: 'ENABLED',
  EnableTokenRevocation: true,
  ReadAttributes: READ_ATTRIBUTES,
  WriteAttributes: WRITE_ATTRIBUTES,
};

async function ensurePool() {
  const known = opt['pool-id'] && (await lookup('DescribeUserPool', { UserPoolId: opt['pool-id'] }));
  if (known) {
    log(`reusing user pool ${opt['pool-id']}`);
    const have = new Set((known.UserPool.SchemaAttributes || []).map((a) => a.Name));
    const missing = PROFILE_ATTRIBUTES.filter((a) => !have.has(`custom:${a.Name}`));
    if (missing.length) {
      await cognito('AddCustomAttributes', { UserPoolId: opt['pool-id'], CustomAttributes: missing });
      log(`added custom attributes ${missing.map((a) => a.Name).join(', ')}`);
    }
    return opt['pool-id'];
  }
  const { UserPool } = await cognito('CreateUserPool', {
    PoolName: opt['pool-name'],
    UsernameAttributes: ['email'],
    AutoVerifiedAttributes: ['email'],
    // A new email signs in only once its code is entered (account self-service).
    UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    Policies: {
      // At least 12 characters (NIST SP 800-63B, OWASP ASVS 2.1.1), as
      // `tenant create` gives its pools. An existing pool keeps its own:
      // gatehouse reads each pool's policy and shows and checks that.
      PasswordPolicy: {
        MinimumLength: 12,
        RequireUppercase: true,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
        TemporaryPasswordValidityDays: 7,
      },
    },
    Schema: [
      { Name: 'email', AttributeDataType: 'String', Required: true, Mutable: true },
      {
        // Not writable by the app client, and set by gatehouse (an admin
        // call) after each sign-up: Cognito's immutable attributes can only
        // be given at creation, which a self sign-up cannot do.
        Name: 'tenant_id',
        AttributeDataType: 'String',
        Mutable: true,
        StringAttributeConstraints: { MinLength: '1', MaxLength: '64' },
      },
      {
        Name: 'user_tier',
        AttributeDataType: 'String',
        Mutable: true,
        StringAttributeConstraints: { MinLength: '1', MaxLength: '32' },
      },
      ...PROFILE_ATTRIBUTES,
    ],
    VerificationMessageTemplate: {
      DefaultEmailOption: 'CONFIRM_WITH_CODE',
      EmailSubject: 'Your gatehouse verification code',
      EmailMessage: 'Your gatehouse verification code is {####}',
    },
    AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
  });
  log(`created user pool ${UserPool.Id}`);
  return UserPool.Id;
}

async function ensureClient(poolId) {
  const known = opt['client-id'] && (await lookup('DescribeUserPoolClient', {
    UserPoolId: poolId,
    ClientId: opt['client-id'],
  }));
  if (known) {
    log(`reusing app client ${opt['client-id']}`);
    const c = known.UserPoolClient;
    if (JSON.stringify(c.WriteAttributes) !== JSON.stringify(WRITE_ATTRIBUTES) ||
        JSON.stringify(c.ReadAttributes) !== JSON.stringify(READ_ATTRIBUTES)) {
      await cognito('UpdateUserPoolClient', { UserPoolId: poolId, ClientId: c.ClientId, ClientName: c.ClientName, ...CLIENT_SETTINGS });
      log('updated the app client\'s attribute permissions');
    }
    return c;
  }
  const { UserPoolClient } = await cognito('CreateUserPoolClient', {
    UserPoolId: poolId,
    ClientName: 'gatehouse',
    GenerateSecret: false,
    ...CLIENT_SETTINGS,
  });
  log(`created app client ${UserPoolClient.ClientId}`);
  return UserPoolClient;
}

// ListGroups rather than GetGroup: cognito-local answers GetGroup with a 500
// while a pool has no group at all.
async function ensureGroup(poolId) {
  const { Groups = [] } = await cognito('ListGroups', { UserPoolId: poolId });
  if (Groups.some((g) => g.GroupName === ADMIN_GROUP)) return;
  await cognito('CreateGroup', {
    UserPoolId: poolId,
    GroupName: ADMIN_GROUP,
    Description: 'Tenant administrators',
    Precedence: 0,
  });
  log(`created group ${ADMIN_GROUP}`);
}

function readKeyValues(path) {
  const out = {};
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

// A password that meets the pool's policy: upper, lower, digits, a symbol.
function newPassword() {
  return `Gh-${randomBytes(12).toString('hex')}-Aa1!`;
}

// The first admin gets a temporary password (AdminCreateUser), so the person
// who runs the stack chooses their own at the first login (the
// NEW_PASSWORD_REQUIRED page). An admin that exists is left alone; only a
// temporary password this file no longer knows is replaced by a new
// temporary one. The file says which password to use, and how, in
// ADMIN_LOGIN, the line the stack prints.
async function ensureAdmin(poolId) {
  const saved = readKeyValues(opt['admin-file']);
  const email = saved.ADMIN_EMAIL || ADMIN_EMAIL;
  const user = await lookup('AdminGetUser', { UserPoolId: poolId, Username: email });
  let password = saved.ADMIN_PASSWORD || '';
  let kind = saved.ADMIN_PASSWORD_KIND || (password ? 'permanent' : '');
  if (!user) {
    password = newPassword();
    kind = 'temporary';
    await cognito('AdminCreateUser', {
      UserPoolId: poolId,
      Username: email,
      TemporaryPassword: password,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'name', Value: 'Local admin' },
        { Name: 'custom:tenant_id', Value: opt.tenant },
        { Name: 'custom:user_tier', Value: ADMIN_TIER },
      ],
    });
    log(`created admin user ${email} with a temporary password`);
  } else if (user.UserStatus === 'FORCE_CHANGE_PASSWORD' && (!password || kind !== 'temporary')) {
    password = newPassword();
    kind = 'temporary';
    await cognito('AdminSetUserPassword', { UserPoolId: poolId, Username: email, Password: password, Permanent: false });
    log(`gave admin user ${email} a new temporary password`);
  } else if (user.UserStatus !== 'FORCE_CHANGE_PASSWORD' && kind === 'temporary') {
    // The admin has chosen their own password: the temporary one is void.
    password = '';
    kind = 'chosen';
  }
  await cognito('AdminAddUserToGroup', { UserPoolId: poolId, Username: email, GroupName: ADMIN_GROUP });
  const login = kind === 'temporary'
    ? `${email} / ${password}  (temporary: you choose your own password at the first login)`
    : kind === 'chosen' || !password ? `${email} (with the password chosen at the first login)`
      : `${email} / ${password}`;
  writeFileSync(opt['admin-file'],
    `ADMIN_EMAIL=${email}\nADMIN_PASSWORD=${password}\nADMIN_PASSWORD_KIND=${kind}\nADMIN_LOGIN=${login}\n`,
    { mode: 0o600 });
}

try {
  const poolId = await ensurePool();
  const client = await ensureClient(poolId);
  await ensureGroup(poolId);
  await ensureAdmin(poolId);
  process.stdout.write(
    `COGNITO_USER_POOL_ID=${poolId}\n` +
    `COGNITO_CLIENT_ID=${client.ClientId}\n` +
    `COGNITO_CLIENT_SECRET=${client.ClientSecret ?? ''}\n`,
  );
} catch (err) {
  log(err.message);
  process.exit(1);
}
