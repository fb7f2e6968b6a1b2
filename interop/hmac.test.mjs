// A TypeScript SDK client that signs every request with HMAC v1, written from
// docs/hmac-v1.md alone, against the trading server in AUTH_MODE=hmac. The
// signing lives in the custom fetch that StreamableHTTPClientTransport takes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sign } from './lib/hmac.mjs';
import { binary, connectHTTP } from './lib/servers.mjs';

const secret = randomBytes(32).toString('hex');
const keyId = 'default';

/** signingFetch returns a fetch that adds the HMAC v1 headers (docs/hmac-v1.md). */
export function signingFetch(signed) {
  return async (input, init = {}) => {
    const req = sign({ id: keyId, secret }, input, init);
    signed.count++;
    return fetch(req.url, req.init);
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
