// A TypeScript SDK client that signs every request with HMAC v1, written from
// docs/hmac-v1.md alone, against the trading server in AUTH_MODE=hmac. The
// signing lives in the custom fetch that StreamableHTTPClientTransport takes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { binary, connectHTTP } from './lib/servers.mjs';

const secret = randomBytes(32).toString('hex');
const keyId = 'default';

// Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (and / when keepSlash).
function encode(bytes, keepSlash) {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function canonicalPath(rawPath) {
  if (rawPath === '') return '/';
  return encode(Buffer.from(decodeURIComponent(rawPath), 'utf8'), true);
}

function canonicalQuery(rawQuery) {
  const form = (s) => Buffer.from(decodeURIComponent(s.replace(/\+/g, ' ')), 'utf8');
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const [n, v] = i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
      return [encode(form(n), false), encode(form(v), false)];
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** signingFetch returns a fetch that adds the HMAC v1 headers (docs/hmac-v1.md). */
export function signingFetch(signed) {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const body = init.body === undefined || init.body === null ? Buffer.alloc(0) : Buffer.from(init.body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(24).toString('base64url');
    const idempotencyKey = randomBytes(16).toString('hex');
    const apiVersion = '1.0.0';
    const canonical = [
      'MCP-HMAC-SHA256-V1',
      keyId,
      timestamp,
      nonce,
      method,
      url.host.toLowerCase(),
      canonicalPath(url.pathname),
      canonicalQuery(url.search.replace(/^\?/, '')),
      apiVersion,
      idempotencyKey,
      headers.get('content-type') ?? '',
      createHash('sha256').update(body).digest('hex'),
    ].join('\n');
    headers.set('X-Key-Id', keyId);
    headers.set('X-Timestamp', timestamp);
    headers.set('X-Nonce', nonce);
    headers.set('Idempotency-Key', idempotencyKey);
    headers.set('X-API-Version', apiVersion);
    headers.set('X-Signature', createHmac('sha256', secret).update(canonical).digest('hex'));
    signed.count++;
    return fetch(url, { ...init, headers, body: body.length ? body : init.body });
  };
}

describe('trading over Streamable HTTP with HMAC v1 signing', () => {
  const signed = { count: 0 };
  let conn;
  before(async () => {
    conn = await connectHTTP(binary('trading'), {
      env: { AUTH_MODE: 'hmac', API_KEY_HMAC_SECRET: secret },
      fetch: signingFetch(signed),
    });
  });
  after(async () => conn?.close());

  it('lists and calls tools with every request signed', async () => {
    const { tools } = await conn.client.listTools();
    assert.equal(tools.length, 5);
    const res = await conn.client.callTool({
      name: 'risk.position_limits_check',
      arguments: { symbol: 'EURUSD', side: 'buy', quantity: 1000, price: 1.1 },
    });
    assert.equal(res.isError, undefined, JSON.stringify(res));
    assert.equal(res.structuredContent.allowed, true);
    assert.ok(signed.count >= 3, `signed ${signed.count} requests`);
  });

  it('an unsigned request gets 401 with MCP-002 and the challenge', async () => {
    const res = await fetch(conn.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^MCP-HMAC-SHA256-V1 realm="mcp"/);
    const body = await res.json();
    assert.equal(body.code, 'MCP-002');
    assert.equal(
      body.message,
      'missing HMAC v1 header(s) X-Signature, X-Timestamp, X-Nonce, Idempotency-Key, X-API-Version; every request must carry X-Signature, X-Timestamp, X-Nonce, Idempotency-Key, X-API-Version',
    );
  });
});
