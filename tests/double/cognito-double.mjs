#!/usr/bin/env node
// cognito-double.mjs — a fault-injecting Cognito in front of cognito-local.
//
// It speaks Cognito's JSON 1.1 protocol on 127.0.0.1 and by default proxies
// every request unchanged to a real cognito-local (COGNITO_UPSTREAM), so the
// happy paths still run against cognito-local. Tests make it misbehave per
// operation (a named op's fault wins over the "*" one):
//   POST /__control {"op": "InitiateAuth", "mode": "throttle"}
//     mode "throttle" 400 TooManyRequestsException | "error5xx" `status`
//     (default 500) InternalErrorException | "timeout" never answer | "delay"
//     answer normally after `delayMs` | "type" 400 (or `status`) with
//     __type = `type`, e.g. CodeDeliveryFailureException | "untyped" `status`
//     (default 500) with an HTML page and no __type, as an emulator answers a
//     call it has not implemented | "off" normal again;
//     optional "count": only the next N calls; "op": "*" for every operation.
//   POST /__control {"op": "GET /.well-known/jwks.json", "mode": "error5xx"}
//     an op "GET <suffix>" is a fault for GET requests (which are otherwise
//     passed through: the JWKS, health) whose path ends in <suffix>; the
//     modes above apply, plus "addKeys": answer with cognito-local's JSON
//     whose `keys` array gets the given `keys` appended (a signing key the
//     test holds, as after a key rotation). GETs are counted as "GET <path>".
//   POST /__control {"awsIssuer": {"pool": "<pool id>", "region": "us-east-1"}}
//     tokens in Cognito's own name for that pool: Cognito's tokens carry iss
//     https://cognito-idp.<region>.amazonaws.com/<pool> whatever endpoint
//     answered (a VPC or FIPS one too), cognito-local's its IssuerDomain. The
//     double signs again, with an RSA key of its own, the id and access tokens
//     the pool's authentications hand out (InitiateAuth, a refresh included,
//     RespondToAuthChallenge, AdminInitiateAuth) with that iss, and serves
//     that key alone at GET /<pool>/.well-known/jwks.json. A token it signed
//     that comes back in a call (AccessToken: GetUser, ChangePassword,
//     GlobalSignOut...) goes to cognito-local as cognito-local's own.
//     {"awsIssuer": {"pool": "<pool id>", "off": true}} ends it. The answer
//     names the issuer and the key's kid.
//   POST /__control {"reset": true}   clear all faults and call counts (and
//     every awsIssuer pool)
//   GET  /__control                   {"faults": {...}, "calls": {op: n}}
// It answers itself what cognito-local lacks or gets wrong:
//   ListUsers: pages of at most Limit (60) users with a PaginationToken, as
//     Cognito answers; cognito-local answers every user at once.
//   ListUserPools: pages of MaxResults (at most 60) pools with a NextToken,
//     each pool described by the few fields Cognito gives there; cognito-local
//     answers every pool at once and whole, which outgrows gatehouse's reply
//     cap past about a hundred pools (tenant create looks for its pool).
//   ResendConfirmationCode: cognito-local keeps one ConfirmationCode per user,
//     checked by both ConfirmSignUp and ConfirmForgotPassword. The double
//     checks the user is UNCONFIRMED (AdminGetUser), then asks cognito-local
//     for ForgotPassword, which makes a new code, stores it on the user (its
//     data folder) and prints its usual "Confirmation Code Delivery" box.
//   GlobalSignOut, AdminUserGlobalSignOut: cognito-local keeps each user's
//     refresh tokens (and honours RevokeToken) but cannot sign a user out
//     everywhere. The double notes every refresh token it sees handed out
//     (InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge pass through
//     it) with its pool and user, and a global sign-out revokes each of the
//     user's with cognito-local's own RevokeToken, so their refreshes are
//     refused as at Cognito. Tokens handed out before the double started are
//     not known to it.
//   AdminCreateUser with MessageAction RESEND (cognito-local refuses it): a
//     new temporary password for a user still FORCE_CHANGE_PASSWORD.
//   ChangePassword: a wrong previous password is NotAuthorizedException, as
//     in Cognito (cognito-local says InvalidPasswordException).
//   UpdateUserAttributes, DeleteUserAttributes (the user's own access token)
//     and SignUp: an attribute the app client may not write is refused with
//     NotAuthorizedException "A client attempted to write unauthorized
//     attribute", as Cognito does (cognito-local lets a user write anything).
//     The client is the token's client_id (SignUp: its ClientId), read with
//     DescribeUserPoolClient on every call, so a test that changes a client
//     sees it at once; a client without WriteAttributes may write every
//     attribute, as in Cognito. Admin* calls are not limited by the client.
//     What passes the check goes to cognito-local unchanged.
//   A disabled user's sign-in (InitiateAuth, a refresh included,
//     RespondToAuthChallenge, AdminInitiateAuth): cognito-local lets a user
//     it holds Enabled: false sign in. Cognito refuses with
//     NotAuthorizedException "User is disabled."; the double does, after
//     cognito-local's answer (so a wrong password still reads as one), and
//     revokes the refresh token that answer carried.
//   AdminResetUserPassword: cognito-local lacks it. Cognito makes the
//     password unusable, sets RESET_REQUIRED and sends a code. The double
//     sets a random password at cognito-local (AdminSetUserPassword), asks it
//     for ForgotPassword (a code stored on the user and printed, through one
//     of the pool's app clients) and remembers the user: until a
//     ConfirmForgotPassword of theirs succeeds, their password sign-in is
//     PasswordResetRequiredException and AdminGetUser says RESET_REQUIRED.
//     Kept in memory: a restarted double forgets it (the password stays
//     random).
//   AdminSetUserMFAPreference: cognito-local lacks it; its own
//     SetUserMFAPreference takes the user from an access token it decodes
//     without checking. The double names the user (sub) and one of the pool's
//     app clients in such a token and passes the settings on.
// Usage: COGNITO_UPSTREAM=http://127.0.0.1:9229 node cognito-double.mjs [port]
//   (or COGNITO_DOUBLE_PORT; 0 picks a free port). Prints "cognito-double:
//   listening on URL ..." once ready. Node built-ins only.
import crypto from 'node:crypto';
import http from 'node:http';

const HOST = '127.0.0.1';
const PORT = Number(process.argv[2] ?? process.env.COGNITO_DOUBLE_PORT ?? 9329);
const UPSTREAM = (process.env.COGNITO_UPSTREAM ?? 'http://127.0.0.1:9229').replace(/\/+$/, '');
const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const JSON_TYPE = 'application/x-amz-json-1.1';
const BODY_MAX = 1024 * 1024;
const HANG_MAX_MS = 120_000; // a "timeout" socket is dropped after this anyway
const UPSTREAM_TIMEOUT_MS = 10_000;
const LIST_POOLS_MAX = 60;
const LIST_USERS_MAX = 60; // Cognito's largest ListUsers page
const MODES = new Set(['throttle', 'error5xx', 'timeout', 'delay', 'type', 'untyped', 'addKeys', 'off']);

const faults = new Map(); // op or '*' → {mode, delayMs, type, status, count}
const calls = new Map(); // op → number of calls seen
const poolOfClientCache = new Map(); // client id → pool id
const signIns = new Map(); // refresh token → {pool, username, clientId}
const SIGN_INS_MAX = 100_000; // the oldest are forgotten beyond this

const log = (msg) => console.log(`cognito-double: ${msg}`);

class CognitoError extends Error {
  constructor(status, type, message, payload) {
    super(message);
    this.status = status;
    this.payload = payload ?? { __type: type, message };
  }
}

function send(res, status, payload, type = JSON_TYPE) {
  const body = Buffer.from(JSON.stringify(payload));
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
  res.end(body);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_MAX) throw new CognitoError(413, 'RequestTooLarge', 'body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// ---- upstream ------------------------------------------------------------

// proxy relays one request as it came and the answer as it comes back.
async function proxy(req, res, body) {
  const headers = {};
  for (const [name, value] of Object.entries(req.headers))
    if (!['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(name))
      headers[name] = value;
  const answer = await fetch(UPSTREAM + req.url, {
    method: req.method,
    headers,
    body: ['GET', 'HEAD'].includes(req.method) ? undefined : body,
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  const payload = Buffer.from(await answer.arrayBuffer());
  res.writeHead(answer.status, {
    'Content-Type': answer.headers.get('content-type') ?? JSON_TYPE,
    'Content-Length': payload.length,
  });
  res.end(payload);
}

// upstream makes one call of our own to cognito-local; a Cognito error is
// thrown as a CognitoError carrying cognito-local's own answer.
async function upstream(op, input) {
  const answer = await fetch(UPSTREAM + '/', {
    method: 'POST',
    headers: { 'Content-Type': JSON_TYPE, 'X-Amz-Target': TARGET_PREFIX + op },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  const text = await answer.text();
  const payload = text ? JSON.parse(text) : {};
  if (!answer.ok) throw new CognitoError(answer.status, payload.__type, payload.message, payload);
  return payload;
}

// poolOfClient finds the pool of an app client (the public calls carry only
// the client id; AdminGetUser needs the pool).
async function poolOfClient(clientId) {
  if (poolOfClientCache.has(clientId)) return poolOfClientCache.get(clientId);
  const { UserPools = [] } = await upstream('ListUserPools', { MaxResults: LIST_POOLS_MAX });
  for (const pool of UserPools) {
    try {
      await upstream('DescribeUserPoolClient', { UserPoolId: pool.Id, ClientId: clientId });
      poolOfClientCache.set(clientId, pool.Id);
      return pool.Id;
    } catch (err) {
      if (!(err instanceof CognitoError)) throw err;
    }
  }
  throw new CognitoError(400, 'ResourceNotFoundException', `App client ${clientId} not found`);
}

// ---- sign-ins ------------------------------------------------------------

// claimsOf reads a JWT's payload without checking it (cognito-local made it).
function claimsOf(token) {
  try {
    return JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString('utf8'));
  } catch {
    return {};
  }
}

// noteSignIn remembers the refresh token an authentication answer hands out.
async function noteSignIn(clientId, pool, answer) {
  const token = answer?.AuthenticationResult?.RefreshToken;
  const username = claimsOf(token)['cognito:username'];
  if (!token || !username || !clientId) return answer;
  if (signIns.size >= SIGN_INS_MAX) signIns.delete(signIns.keys().next().value);
  signIns.set(token, { pool: pool ?? (await poolOfClient(clientId)), username, clientId });
  return answer;
}

// signOutEverywhere revokes every refresh token the double saw handed out to
// user `username` of pool.
async function signOutEverywhere(pool, username) {
  let revoked = 0;
  for (const [token, signIn] of [...signIns]) {
    if (signIn.pool !== pool || signIn.username !== username) continue;
    signIns.delete(token);
    try {
      await upstream('RevokeToken', { Token: token, ClientId: signIn.clientId });
      revoked++;
    } catch (err) {
      if (!(err instanceof CognitoError)) throw err; // already revoked: fine
    }
  }
  log(`global sign-out of ${username}: ${revoked} refresh token(s) revoked`);
}

// ---- disabled users, reset passwords, MFA off (what admins do) -------------

const resetRequired = new Set(); // `${pool}/${username}` after AdminResetUserPassword

// refuseDisabled answers an authentication answer of pool's as Cognito
// would for a disabled user: NotAuthorized, the refresh token revoked.
async function refuseDisabled(clientId, pool, answer) {
  const result = answer?.AuthenticationResult;
  const username = claimsOf(result?.IdToken)['cognito:username'];
  if (!username) return answer;
  pool = pool ?? (await poolOfClient(clientId));
  const user = await upstream('AdminGetUser', { UserPoolId: pool, Username: username });
  if (user.Enabled !== false) return answer;
  if (result.RefreshToken)
    await upstream('RevokeToken', { Token: result.RefreshToken, ClientId: clientId }).catch(() => {});
  throw new CognitoError(400, 'NotAuthorizedException', 'User is disabled.');
}

// resetKey names a user of pool by their Cognito username (an alias too).
async function resetKey(pool, username) {
  const user = await upstream('AdminGetUser', { UserPoolId: pool, Username: username });
  return `${pool}/${user.Username}`;
}

// refuseResetRequired refuses the password sign-in of a user whose password
// an admin reset, as Cognito does, whatever the password.
async function refuseResetRequired(input) {
  const username = input.AuthParameters?.USERNAME;
  if (!resetRequired.size || !username || !input.ClientId) return;
  const pool = await poolOfClient(input.ClientId);
  let key;
  try {
    key = await resetKey(pool, username);
  } catch (err) {
    if (err instanceof CognitoError) return; // cognito-local answers for an unknown user
    throw err;
  }
  if (resetRequired.has(key))
    throw new CognitoError(400, 'PasswordResetRequiredException', 'Password reset required for the user');
}

// aClientOf finds an app client of pool (for the calls that need one).
async function aClientOf(pool) {
  const { UserPoolClients = [] } = await upstream('ListUserPoolClients', { UserPoolId: pool, MaxResults: 1 });
  if (!UserPoolClients.length) throw new CognitoError(400, 'ResourceNotFoundException', `pool ${pool} has no app client`);
  return UserPoolClients[0].ClientId;
}

const adminActions = {
  async AdminResetUserPassword({ UserPoolId, Username }) {
    if (!UserPoolId || !Username)
      throw new CognitoError(400, 'InvalidParameterException', 'UserPoolId and Username are needed');
    const key = await resetKey(UserPoolId, Username);
    const user = key.slice(UserPoolId.length + 1);
    const password = `Rr1!${crypto.randomBytes(24).toString('base64url')}`;
    await upstream('AdminSetUserPassword', { UserPoolId, Username: user, Password: password, Permanent: true });
    resetRequired.add(key);
    await upstream('ForgotPassword', { ClientId: await aClientOf(UserPoolId), Username: user });
    log(`AdminResetUserPassword for ${user}: password made unusable, code made and printed by cognito-local`);
    return {};
  },
  async AdminSetUserMFAPreference({ UserPoolId, Username, SoftwareTokenMfaSettings, SMSMfaSettings }) {
    if (!UserPoolId || !Username)
      throw new CognitoError(400, 'InvalidParameterException', 'UserPoolId and Username are needed');
    const user = await upstream('AdminGetUser', { UserPoolId, Username });
    const sub = (user.UserAttributes ?? []).find((a) => a.Name === 'sub')?.Value ?? user.Username;
    const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${part({ alg: 'none' })}.${part({ sub, client_id: await aClientOf(UserPoolId) })}.x`;
    return upstream('SetUserMFAPreference', { AccessToken: token, SoftwareTokenMfaSettings, SMSMfaSettings });
  },
  async AdminGetUser(input) {
    const user = await upstream('AdminGetUser', input);
    if (resetRequired.has(`${input.UserPoolId}/${user.Username}`)) user.UserStatus = 'RESET_REQUIRED';
    return user;
  },
  async ConfirmForgotPassword(input) {
    const answer = await upstream('ConfirmForgotPassword', input);
    // The password is set: a failure to name the user now must not undo that.
    if (resetRequired.size)
      resetRequired.delete(await resetKey(await poolOfClient(input.ClientId), input.Username).catch(() => null));
    return answer;
  },
};

// ---- what cognito-local lacks or gets wrong ------------------------------

const local = {
  async ResendConfirmationCode({ ClientId, Username, SecretHash }) {
    if (!ClientId || !Username)
      throw new CognitoError(400, 'InvalidParameterException', 'ClientId and Username are needed');
    const pool = await poolOfClient(ClientId);
    const user = await upstream('AdminGetUser', { UserPoolId: pool, Username });
    if (user.UserStatus !== 'UNCONFIRMED')
      throw new CognitoError(400, 'InvalidParameterException', 'User is already confirmed.');
    // JSON.stringify leaves SecretHash out when there is none.
    const sent = await upstream('ForgotPassword', { ClientId, Username, SecretHash });
    log(`ResendConfirmationCode for ${Username}: new code made and printed by cognito-local`);
    return { CodeDeliveryDetails: sent.CodeDeliveryDetails };
  },
  async GlobalSignOut(input) {
    const user = await upstream('GetUser', { AccessToken: input.AccessToken });
    await signOutEverywhere(await poolOfClient(claimsOf(input.AccessToken).client_id), user.Username);
    return {};
  },
  async AdminUserGlobalSignOut({ UserPoolId, Username }) {
    if (!UserPoolId || !Username)
      throw new CognitoError(400, 'InvalidParameterException', 'UserPoolId and Username are needed');
    const user = await upstream('AdminGetUser', { UserPoolId, Username });
    await signOutEverywhere(UserPoolId, user.Username);
    return {};
  },
  async InitiateAuth(input) {
    await refuseResetRequired(input);
    const answer = await refuseDisabled(input.ClientId, null, await upstream('InitiateAuth', input));
    return noteSignIn(input.ClientId, null, answer);
  },
  async AdminInitiateAuth(input) {
    const answer = await refuseDisabled(input.ClientId, input.UserPoolId, await upstream('AdminInitiateAuth', input));
    return noteSignIn(input.ClientId, input.UserPoolId, answer);
  },
  async RespondToAuthChallenge(input) {
    const answer = await refuseDisabled(input.ClientId, null, await upstream('RespondToAuthChallenge', input));
    return noteSignIn(input.ClientId, null, answer);
  },
  ...adminActions,
  // ListUsers: cognito-local answers every matching user at once, whatever
  // the Limit; Cognito answers at most Limit (60 when not given) and a
  // PaginationToken for the rest. The double pages cognito-local's answer
  // the same way: the token holds the offset and the Filter it belongs to.
  async ListUsers(input) {
    const limit = input.Limit ?? LIST_USERS_MAX;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_USERS_MAX)
      throw new CognitoError(400, 'InvalidParameterException', `Limit must be 1 to ${LIST_USERS_MAX}`);
    let offset = 0;
    if (input.PaginationToken !== undefined) {
      const token = claimsOf(`.${input.PaginationToken}.`);
      if (!Number.isInteger(token.offset) || token.offset < 0 || token.filter !== (input.Filter ?? ''))
        throw new CognitoError(400, 'InvalidParameterException', 'Invalid pagination token');
      offset = token.offset;
    }
    const { PaginationToken, Limit, ...rest } = input;
    const { Users = [] } = await upstream('ListUsers', rest);
    const page = { Users: Users.slice(offset, offset + limit) };
    if (offset + limit < Users.length)
      page.PaginationToken = Buffer.from(JSON.stringify({ offset: offset + limit, filter: input.Filter ?? '' }))
        .toString('base64url');
    return page;
  },
  // ListUserPools: MaxResults is required (1 to 60); each page names its
  // pools by UserPoolDescriptionType (Id, Name, Status, LambdaConfig and the
  // dates) and hands a NextToken (the offset) while more remain.
  async ListUserPools(input) {
    const max = input.MaxResults;
    if (!Number.isInteger(max) || max < 1 || max > LIST_POOLS_MAX)
      throw new CognitoError(400, 'InvalidParameterException', `MaxResults must be 1 to ${LIST_POOLS_MAX}`);
    let offset = 0;
    if (input.NextToken !== undefined) {
      const token = claimsOf(`.${input.NextToken}.`);
      if (!Number.isInteger(token.offset) || token.offset < 0)
        throw new CognitoError(400, 'InvalidParameterException', 'Invalid pagination token');
      offset = token.offset;
    }
    const { UserPools = [] } = await upstream('ListUserPools', { MaxResults: LIST_POOLS_MAX });
    const page = {
      UserPools: UserPools.slice(offset, offset + max).map((p) => ({
        Id: p.Id, Name: p.Name, Status: p.Status, LambdaConfig: p.LambdaConfig ?? {},
        LastModifiedDate: p.LastModifiedDate, CreationDate: p.CreationDate,
      })),
    };
    if (offset + max < UserPools.length)
      page.NextToken = Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64url');
    return page;
  },
  // AdminCreateUser with MessageAction RESEND: cognito-local refuses it
  // (UnsupportedError). Cognito sends the invitation again, with a new
  // temporary password, only to a user who has not signed in yet
  // (FORCE_CHANGE_PASSWORD; any other: UnsupportedUserStateException). The
  // double sets a new temporary password with cognito-local's
  // AdminSetUserPassword (not permanent: the user stays
  // FORCE_CHANGE_PASSWORD), kept in its data folder as the first one was,
  // where tests read it as the person reads the email. Other
  // AdminCreateUser calls pass through unchanged.
  async AdminCreateUser(input) {
    if (input.MessageAction !== 'RESEND') return upstream('AdminCreateUser', input);
    const { UserPoolId, Username } = input;
    if (!UserPoolId || !Username)
      throw new CognitoError(400, 'InvalidParameterException', 'UserPoolId and Username are needed');
    const user = await upstream('AdminGetUser', { UserPoolId, Username });
    if (user.UserStatus !== 'FORCE_CHANGE_PASSWORD')
      throw new CognitoError(400, 'UnsupportedUserStateException', 'User is not in FORCE_CHANGE_PASSWORD state.');
    const password = `Tmp-${crypto.randomBytes(9).toString('base64url')}-9a`;
    await upstream('AdminSetUserPassword', { UserPoolId, Username: user.Username, Password: password, Permanent: false });
    log(`AdminCreateUser RESEND for ${user.Username}: a new temporary password kept by cognito-local`);
    const again = await upstream('AdminGetUser', { UserPoolId, Username: user.Username });
    return {
      User: {
        Username: again.Username, Attributes: again.UserAttributes, UserCreateDate: again.UserCreateDate,
        UserLastModifiedDate: again.UserLastModifiedDate, Enabled: again.Enabled, UserStatus: again.UserStatus,
      },
    };
  },
  async ChangePassword(input) {
    try {
      return await upstream('ChangePassword', input);
    } catch (err) {
      // cognito-local checks no policy here: InvalidPassword is the old one.
      if (err instanceof CognitoError && err.payload.__type === 'InvalidPasswordException')
        throw new CognitoError(400, 'NotAuthorizedException', 'Incorrect username or password.');
      throw err;
    }
  },
};

// ---- the app client's write attributes -----------------------------------

// The calls whose attributes the app client must be allowed to write, and
// where each carries the client and the attribute names.
const WRITE_CHECKED = {
  SignUp: (input) => ({ clientId: input.ClientId, names: (input.UserAttributes ?? []).map((a) => a?.Name) }),
  UpdateUserAttributes: (input) => ({
    clientId: clientOfAccessToken(input.AccessToken), names: (input.UserAttributes ?? []).map((a) => a?.Name),
  }),
  DeleteUserAttributes: (input) => ({
    clientId: clientOfAccessToken(input.AccessToken), names: input.UserAttributeNames ?? [],
  }),
};

// clientOfAccessToken reads the client_id claim of an access token, or
// null for anything that is not a JWT with one (cognito-local then answers
// for the token as it would).
function clientOfAccessToken(token) {
  const part = typeof token === 'string' ? token.split('.')[1] : undefined;
  if (!part) return null;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof claims.client_id === 'string' ? claims.client_id : null;
  } catch {
    return null;
  }
}

// checkWriteAttributes throws Cognito's refusal when the call would write an
// attribute its app client may not write; it returns when the call may go
// on (also when the body or the client cannot be read: cognito-local then
// answers with its own error).
async function checkWriteAttributes(op, body) {
  let input;
  try {
    input = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return;
  }
  if (typeof input !== 'object' || input === null) return;
  const { clientId, names } = WRITE_CHECKED[op](input);
  if (typeof clientId !== 'string' || !clientId || !Array.isArray(names)) return;
  let client;
  try {
    const pool = await poolOfClient(clientId);
    ({ UserPoolClient: client } = await upstream('DescribeUserPoolClient', { UserPoolId: pool, ClientId: clientId }));
  } catch (err) {
    if (err instanceof CognitoError) return;
    throw err;
  }
  const writable = client?.WriteAttributes;
  if (!Array.isArray(writable) || writable.length === 0) return; // Cognito: all writable
  const refused = names.filter((name) => !writable.includes(name));
  if (!refused.length) return;
  log(`${op}: client ${clientId} may not write ${refused.join(', ')}: refused`);
  throw new CognitoError(400, 'NotAuthorizedException', 'A client attempted to write unauthorized attribute');
}

// ---- faults --------------------------------------------------------------

// takeFault returns the fault for op (consuming one of its `count`), or null.
function takeFault(op) {
  const key = faults.has(op) ? op : faults.has('*') ? '*' : null;
  if (!key) return null;
  const fault = faults.get(key);
  if (fault.count !== undefined && --fault.count <= 0) faults.delete(key);
  return fault;
}

const whole = (n, min, max = Infinity) => Number.isInteger(n) && n >= min && n <= max;

function control(req, res, body) {
  const reply = (status, payload) => send(res, status, payload, 'application/json');
  if (req.method === 'GET')
    return reply(200, { faults: Object.fromEntries(faults), calls: Object.fromEntries(calls) });
  let input;
  try {
    input = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    input = null;
  }
  if (typeof input !== 'object' || input === null)
    return reply(400, { error: 'body is not a JSON object' });
  if (input.reset) {
    faults.clear();
    calls.clear();
    awsIssuerPools.clear();
    return reply(200, { ok: true });
  }
  if (input.awsIssuer !== undefined) return awsIssuerControl(input.awsIssuer, reply);
  const { op, mode, delayMs = 0, type, status, count, keys } = input;
  const problem =
    ((typeof op !== 'string' || !op) && 'op is required') ||
    (!MODES.has(mode) && `mode must be one of ${[...MODES].join(', ')}`) ||
    (mode === 'type' && typeof type !== 'string' && 'mode "type" needs a type') ||
    (mode === 'addKeys' && (!op.startsWith('GET ') || !Array.isArray(keys)) &&
      'mode "addKeys" needs a "GET <path>" op and a keys array') ||
    (!whole(delayMs, 0) && 'delayMs must be a whole number') ||
    (count !== undefined && !whole(count, 1) && 'count must be a positive whole number') ||
    (status !== undefined && !whole(status, 400, 599) && 'status must be 4xx or 5xx');
  if (problem) return reply(400, { error: problem });
  if (mode === 'off') faults.delete(op);
  else faults.set(op, { mode, delayMs, type, status, count, keys });
  log(`fault ${op}: ${mode}${count ? ` (next ${count})` : ''}`);
  return reply(200, { ok: true });
}

// applyFault answers for the fault and returns true, or returns false when
// the call should go on (no fault, or after a delay).
async function applyFault(fault, op, res) {
  switch (fault.mode) {
    case 'throttle':
      send(res, 400, { __type: 'TooManyRequestsException', message: 'Rate exceeded' });
      return true;
    case 'error5xx':
      send(res, fault.status ?? 500, {
        __type: 'InternalErrorException',
        message: `Injected failure of ${op}`,
      });
      return true;
    case 'type':
      send(res, fault.status ?? 400, { __type: fault.type, message: `Injected ${fault.type}` });
      return true;
    case 'untyped': {
      const page = Buffer.from(`<!DOCTYPE html>\n<html><body><pre>Error: ${op} has not been implemented</pre></body></html>\n`);
      res.writeHead(fault.status ?? 500, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length });
      res.end(page);
      return true;
    }
    case 'timeout': {
      const timer = setTimeout(() => res.socket?.destroy(), HANG_MAX_MS);
      res.on('close', () => clearTimeout(timer));
      return true;
    }
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return false;
    default:
      throw new Error(`unknown mode ${fault.mode}`);
  }
}

// getFault returns the fault of a GET for path (consuming one of its
// `count`), or null: the first "GET <suffix>" fault whose suffix ends path.
function getFault(path) {
  for (const key of faults.keys())
    if (key.startsWith('GET ') && path.endsWith(key.slice(4))) return takeFault(key);
  return null;
}

// addKeys proxies a GET and appends fault.keys to the `keys` of its JSON.
async function addKeys(req, res, fault) {
  const answer = await fetch(UPSTREAM + req.url, { signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
  const doc = await answer.json();
  doc.keys = [...(doc.keys ?? []), ...fault.keys];
  send(res, answer.status, doc, 'application/json');
}

// ---- tokens in Cognito's own name (awsIssuer) ------------------------------

const awsIssuerPools = new Map(); // pool id → region
const resigned = new Map(); // a token the double signed → cognito-local's
const RESIGNED_MAX = 100_000; // the oldest are forgotten beyond this
let signingKey; // {privateKey, jwk}: made at the first use

const awsIssuerOf = (pool, region) => `https://cognito-idp.${region}.amazonaws.com/${pool}`;

function doubleSigningKey() {
  if (!signingKey) {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `cognito-double-${crypto.randomUUID()}`;
    signingKey = { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
  }
  return signingKey;
}

function awsIssuerControl(spec, reply) {
  const pool = spec?.pool, region = spec?.region ?? 'us-east-1';
  if (typeof pool !== 'string' || !/^[\w-]+$/.test(pool))
    return reply(400, { error: 'awsIssuer needs a pool id' });
  if (typeof region !== 'string' || !/^[a-z0-9-]+$/.test(region))
    return reply(400, { error: 'awsIssuer region must be a region name' });
  if (spec.off) {
    awsIssuerPools.delete(pool);
    log(`awsIssuer ${pool}: off`);
    return reply(200, { ok: true });
  }
  awsIssuerPools.set(pool, region);
  const { kid } = doubleSigningKey().jwk;
  log(`awsIssuer ${pool}: tokens signed again as ${awsIssuerOf(pool, region)} (kid ${kid})`);
  return reply(200, { ok: true, issuer: awsIssuerOf(pool, region), kid });
}

// inCognitosName signs cognito-local's token again as Cognito would have
// made it, when its pool (the last part of its iss) is an awsIssuer pool.
function inCognitosName(token) {
  const claims = claimsOf(token);
  const pool = /\/([\w-]+)$/.exec(typeof claims.iss === 'string' ? claims.iss : '')?.[1];
  const region = pool && awsIssuerPools.get(pool);
  if (!region) return token;
  const { privateKey, jwk } = doubleSigningKey();
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: jwk.kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify({ ...claims, iss: awsIssuerOf(pool, region) })).toString('base64url');
  const signed = `${head}.${body}.${crypto.sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url')}`;
  if (resigned.size >= RESIGNED_MAX) resigned.delete(resigned.keys().next().value);
  resigned.set(signed, token);
  return signed;
}

// inAwsName signs again the id and access tokens of an authentication answer.
function inAwsName(answer) {
  const result = answer?.AuthenticationResult;
  if (!result || !awsIssuerPools.size) return answer;
  for (const name of ['IdToken', 'AccessToken'])
    if (typeof result[name] === 'string') result[name] = inCognitosName(result[name]);
  return answer;
}

// cognitoLocalTokens gives back the body of a call with a token the double
// signed (AccessToken) replaced by cognito-local's, which cognito-local can
// check; any other body as it is.
function cognitoLocalTokens(body) {
  if (!resigned.size) return body;
  let input;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  const original = typeof input?.AccessToken === 'string' ? resigned.get(input.AccessToken) : undefined;
  return original ? Buffer.from(JSON.stringify({ ...input, AccessToken: original })) : body;
}

// awsIssuerJwks answers GET /<pool>/.well-known/jwks.json of an awsIssuer
// pool with the double's key alone (cognito-local's no longer signs its
// tokens); false for any other path.
function awsIssuerJwks(path, res) {
  const pool = /^\/([\w-]+)\/\.well-known\/jwks\.json$/.exec(path)?.[1];
  if (!pool || !awsIssuerPools.has(pool)) return false;
  send(res, 200, { keys: [doubleSigningKey().jwk] }, 'application/json');
  return true;
}

// ---- the server ----------------------------------------------------------

async function handle(req, res) {
  let body = await readBody(req);
  if (req.url === '/__control') return control(req, res, body);
  const target = req.headers['x-amz-target'];
  if (req.method === 'GET') {
    const path = req.url.replace(/\?.*$/, '');
    calls.set(`GET ${path}`, (calls.get(`GET ${path}`) ?? 0) + 1);
    const fault = getFault(path);
    if (fault?.mode === 'addKeys') return addKeys(req, res, fault);
    if (fault && (await applyFault(fault, `GET ${path}`, res))) return;
    if (awsIssuerJwks(path, res)) return;
  }
  if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX))
    return proxy(req, res, body); // JWKS, health, OAuth pages
  const op = target.slice(TARGET_PREFIX.length);
  calls.set(op, (calls.get(op) ?? 0) + 1);
  const fault = takeFault(op);
  if (fault && (await applyFault(fault, op, res))) return;
  body = cognitoLocalTokens(body);
  if (WRITE_CHECKED[op]) await checkWriteAttributes(op, body);
  if (!local[op]) return proxy(req, res, body);
  let input;
  try {
    input = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw new CognitoError(400, 'SerializationException', 'body is not JSON');
  }
  send(res, 200, inAwsName(await local[op](input)));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (res.headersSent) return res.destroy();
    if (err instanceof CognitoError) return send(res, err.status, err.payload);
    log(`upstream ${UPSTREAM} failed: ${err.message}`);
    // cognito-local is down or did not answer: to gatehouse, Cognito is
    // unreachable, as it would be without the double (a typed answer here
    // would read as a Cognito that answered something unknown).
    res.destroy();
  });
});
server.listen(PORT, HOST, () =>
  log(`listening on http://${HOST}:${server.address().port} upstream=${UPSTREAM}`));
// Hung sockets would keep server.close() waiting: just go.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
