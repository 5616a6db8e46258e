// totp.mjs — RFC 6238 codes for the MFA tests (tests/integration/mfa.test.mjs,
// tests/e2e/mfa.e2e.test.mjs): a few lines over node's crypto, no library.
import crypto from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const STEP_S = 30;
const DIGITS = 6;

// base32 decodes RFC 4648 base32 (no padding needed, spaces ignored).
export function base32(text) {
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const i = BASE32.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// totp is the code of secret (base32) for the step `offset` steps from now.
export function totp(secret, offset = 0, now = Date.now()) {
  const counter = Math.floor(now / 1000 / STEP_S) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', base32(secret)).update(msg).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(at) & 0x7fffffff;
  return String(bin % 10 ** DIGITS).padStart(DIGITS, '0');
}

// wrongCode is a well-formed code that no step near now accepts.
export function wrongCode(secret) {
  const near = new Set([-2, -1, 0, 1, 2].map((o) => totp(secret, o)));
  for (let n = 123456; ; n = (n + 7919) % 10 ** DIGITS) {
    const c = String(n).padStart(DIGITS, '0');
    if (!near.has(c)) return c;
  }
}
