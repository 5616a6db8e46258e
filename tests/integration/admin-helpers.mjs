// The set-up the admin-panel tests share (issue 15): the people an admin acts
// on, made as an operator would make them in the real pool (cognito-local
// behind the Cognito double) and, where a test needs their session, signed
// in through the real login page; and the two text helpers those tests read
// the pages and the database with. The integration tests import it, and the
// browser tests for the people they sign in as.
import assert from 'node:assert/strict';
import {
  Browser, PASSWORD, cognitoLocal, gatehouseCli, psql, stackInfo, uniqueEmail,
} from './helpers.mjs';

// The temporary password a made user has before their permanent one is set.
const TEMP_PASSWORD = 'Temp-Passw0rd!x';

// sqlText quotes a value as a PostgreSQL string literal.
export const sqlText = (s) => `'${String(s).replace(/'/g, "''")}'`;

// unescape undoes the HTML escaping of a page's text and attributes.
export const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
  .replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// subOf reads the sub of a user of the default tenant from its mirror.
export const subOf = (email) => psql(`SELECT sub FROM t_default.users WHERE email = ${sqlText(email)}`)[0][0];

// confirmedUser makes email a confirmed user with PASSWORD in a pool (the
// default tenant's unless pool is given), with a tier and a name, and adds
// them to group when one is given.
export async function confirmedUser(email, { pool, tier = 'standard', name = 'Plain Person', group } = {}) {
  const poolId = pool || stackInfo().COGNITO_USER_POOL_ID;
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: poolId, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: TEMP_PASSWORD,
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' },
      { Name: 'name', Value: name }, { Name: 'custom:user_tier', Value: tier }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: poolId, Username: email, Password: PASSWORD, Permanent: true });
  if (group) await cognitoLocal('AdminAddUserToGroup', { UserPoolId: poolId, Username: email, GroupName: group });
}

// plainUser makes a confirmed user of the default tenant (uniqueEmail(tag))
// and signs them in through the login page: {b, email, sub}, b a Browser
// holding their session.
export async function plainUser(tag, { tier = 'standard', name } = {}) {
  const email = uniqueEmail(tag);
  await confirmedUser(email, { tier, name });
  const b = new Browser();
  await b.get('/login');
  const r = await b.post('/login', { email, password: PASSWORD });
  assert.equal(r.status, 303, `login of ${email}: ${r.body.slice(0, 200)}`);
  return { b, email, sub: subOf(email) };
}

// makeTenant makes a tenant of the test's own, named prefix-<time> and
// called name: its pool (email user names, the tenant and tier attributes),
// an app client, the admin group, the tenant row and its schema (migrate).
// {slug, poolId, schema (quoted, for SQL), base (its pages' prefix)}.
export async function makeTenant(prefix, name) {
  const slug = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  const custom = (Name) => ({ Name, AttributeDataType: 'String', Mutable: true, StringAttributeConstraints: { MinLength: '0', MaxLength: '64' } });
  const { UserPool } = await cognitoLocal('CreateUserPool', {
    PoolName: slug, UsernameAttributes: ['email'], AutoVerifiedAttributes: ['email'],
    Schema: [{ Name: 'email', AttributeDataType: 'String', Required: true, Mutable: true }, custom('tenant_id'), custom('user_tier')],
  });
  const { UserPoolClient } = await cognitoLocal('CreateUserPoolClient', {
    UserPoolId: UserPool.Id, ClientName: slug, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    ReadAttributes: ['email', 'name', 'custom:user_tier', 'custom:tenant_id'], WriteAttributes: ['email', 'name'],
  });
  await cognitoLocal('CreateGroup', { UserPoolId: UserPool.Id, GroupName: 'admin' });
  psql(`INSERT INTO gatehouse.tenants (slug, name, status, region, user_pool_id, client_id)
    VALUES ('${slug}', ${sqlText(name)}, 'active', 'us-east-1', '${UserPool.Id}', '${UserPoolClient.ClientId}')`);
  const m = gatehouseCli(['migrate']);
  assert.equal(m.status, 0, m.stderr);
  return { slug, poolId: UserPool.Id, schema: `"t_${slug}"`, base: `/t/${slug}` };
}
