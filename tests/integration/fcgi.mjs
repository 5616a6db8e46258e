// A small FastCGI client for tests that talk to the pool directly, without
// nginx: it lets a test hold a request half-sent (to prove a graceful stop
// drains it) and run many requests without nginx's own retries hiding a
// failure. Protocol: FastCGI 1.0, responder role: fcgiRequest sends one
// request on a connection of its own; a FcgiConnection is kept open, as
// nginx keeps its connections (FCGI_KEEP_CONN), for one request after another.
import net from 'node:net';

const BEGIN_REQUEST = 1, END_REQUEST = 3, PARAMS = 4, STDIN = 5, STDOUT = 6;
const KEEP_CONN = 1;

function record(type, content = Buffer.alloc(0)) {
  const head = Buffer.alloc(8);
  head[0] = 1; head[1] = type; head.writeUInt16BE(1, 2);
  head.writeUInt16BE(content.length, 4);
  return Buffer.concat([head, content]);
}

function lengthBytes(n) {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4); b.writeUInt32BE((n | 0x80000000) >>> 0); return b;
}

function encodeParams(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    const kb = Buffer.from(k), vb = Buffer.from(String(v));
    parts.push(lengthBytes(kb.length), lengthBytes(vb.length), kb, vb);
  }
  return Buffer.concat(parts);
}

function chunks(buf, size = 65535) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

// Parses "Status: 200 OK\r\nName: value\r\n\r\nbody" into {status, headers, body}.
function parseResponse(raw) {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const headers = {};
  let status = 200;
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).toLowerCase(), value = line.slice(i + 1).trim();
    if (name === 'status') status = parseInt(value, 10);
    else headers[name] = headers[name] ? headers[name] + ', ' + value : value;
  }
  const body = end < 0 ? '' : raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString();
  return { status, headers, body };
}

// sendRequest writes one request (id 1) on sock, in one write as nginx does
// (libfcgi closes a kept connection whose request's end it had not read when
// the answer went): flags 0 asks the pool to close the connection after it,
// KEEP_CONN to keep it. With hold, the body's last byte and the end wait
// until hold() resolves.
async function sendRequest(sock, { method = 'GET', uri = '/', headers = {}, body = '', hold }, flags) {
  const begin = Buffer.alloc(8); begin.writeUInt16BE(1, 0); begin[2] = flags;
  const bodyBuf = Buffer.from(body);
  const params = {
    REQUEST_METHOD: method, REQUEST_URI: uri, SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '127.0.0.1', CONTENT_LENGTH: String(bodyBuf.length), ...headers,
  };
  const parts = [record(BEGIN_REQUEST, begin), ...chunks(encodeParams(params)).map((c) => record(PARAMS, c)),
    record(PARAMS)];
  if (hold && bodyBuf.length > 0) {
    const head = bodyBuf.subarray(0, bodyBuf.length - 1);
    if (head.length) parts.push(record(STDIN, head));
    sock.write(Buffer.concat(parts));
    await hold();
    sock.write(Buffer.concat([record(STDIN, bodyBuf.subarray(bodyBuf.length - 1)), record(STDIN)]));
    return;
  }
  for (const c of chunks(bodyBuf)) parts.push(record(STDIN, c));
  parts.push(record(STDIN));
  sock.write(Buffer.concat(parts));
}

// fcgiRequest sends one request over a new connection. With `hold`, the
// body's last byte is withheld until hold() resolves, so the request stays
// in flight as long as the test wants.
export function fcgiRequest(socketPath, { method = 'GET', uri = '/', headers = {}, body = '', hold } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    const out = [];
    let ended = false;
    sock.setTimeout(20000, () => { sock.destroy(new Error('fastcgi timeout')); });
    sock.on('error', reject);
    sock.on('connect', () => sendRequest(sock, { method, uri, headers, body, hold }, 0));
    let pending = Buffer.alloc(0);
    sock.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 8) {
        const type = pending[1], len = pending.readUInt16BE(4), pad = pending[6];
        if (pending.length < 8 + len + pad) break;
        const content = pending.subarray(8, 8 + len);
        if (type === STDOUT) out.push(content);
        if (type === END_REQUEST) ended = true;
        pending = pending.subarray(8 + len + pad);
      }
      if (ended) sock.end();
    });
    sock.on('close', () => {
      if (!ended) return reject(new Error('connection closed before the end of the response'));
      resolve(parseResponse(Buffer.concat(out)));
    });
  });
}

// FcgiConnection: one kept connection (FcgiConnection.open), on which
// request() sends a request once the one before it is answered, as nginx
// does, and resolves with its response.
export class FcgiConnection {
  static open(socketPath) {
    return new Promise((resolve, reject) => {
      const conn = new FcgiConnection(net.createConnection(socketPath));
      conn.sock.once('error', reject);
      conn.sock.once('connect', () => resolve(conn));
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.pending = Buffer.alloc(0);
    this.out = [];
    this.waiting = null; // {resolve, reject} of the request in flight
    sock.on('data', (data) => this.read(data));
    sock.on('close', () => this.waiting?.reject(new Error('connection closed before the end of the response')));
    sock.on('error', (e) => this.waiting?.reject(e));
  }

  read(data) {
    this.pending = Buffer.concat([this.pending, data]);
    while (this.pending.length >= 8) {
      const type = this.pending[1], len = this.pending.readUInt16BE(4), pad = this.pending[6];
      if (this.pending.length < 8 + len + pad) break;
      const content = this.pending.subarray(8, 8 + len);
      this.pending = this.pending.subarray(8 + len + pad);
      if (type === STDOUT) this.out.push(content);
      if (type === END_REQUEST && this.waiting) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve(parseResponse(Buffer.concat(this.out.splice(0))));
      }
    }
  }

  request(opts = {}) {
    if (this.waiting) throw new Error('one request at a time on a connection');
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      sendRequest(this.sock, opts, KEEP_CONN);
    });
  }

  close() { this.sock.destroy(); }
}
