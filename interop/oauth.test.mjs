// The official TypeScript SDK client with a static OAuth access token
// against the trading server in AUTH_MODE=oauth: a test authorization
// server here (an ES256 key made at start, its JWKS served on loopback,
// tokens minted with chosen claims), the server verifying the tokens
// against it (docs/security.md, "OAuth 2.1").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { binary, connectHTTP, freePort } from './lib/servers.mjs';

const bin = binary('trading');

// The scopes the trading tools declare (x-scopes): read for the market
// data, write for the shared state.
const allScopes = ['market:read', 'state:read', 'state:write'];

/** A test authorization server: one ES256 key, "k1", and its JWKS. */
async function authorizationServer() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' };
  const http = createServer((req, res) => {
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((ok) => http.listen(0, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${http.address().port}`;
  const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  return {
    issuer,
    jwksURL: `${issuer}/jwks`,
    close: () => new Promise((ok) => http.close(ok)),
    /** Claims of a valid token for audience, with edits. */
    claims(audience, scopes, edit = {}) {
      const now = Math.floor(Date.now() / 1000);
      return { iss: issuer, sub: 'alice', aud: audience, client_id: 'interop', iat: now, nbf: now, exp: now + 3600, scope: scopes.join(' '), ...edit };
    },
    /** claims signed as an RFC 9068 access token (or with another header). */
    mint(claims, header = {}) {
      const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...header })}.${b64(claims)}`;
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    },
  };
}

describe('trading in AUTH_MODE=oauth, TypeScript SDK client with a static access token', () => {
  let as;
  let conn;
  let url;
  let audience;
  let token;
  before(async () => {
    as = await authorizationServer();
    const port = await freePort();
    audience = `http://127.0.0.1:${port}/mcp`;
    token = as.mint(as.claims(audience, allScopes));
    conn = await connectHTTP(bin, {
      addr: `127.0.0.1:${port}`,
      env: { AUTH_MODE: 'oauth', OAUTH_ISSUER: as.issuer, OAUTH_AUDIENCE: audience, OAUTH_JWKS_URL: as.jwksURL },
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    url = conn.url;
  });
  after(async () => {
    await conn?.close();
    await as?.close();
  });

  const post = (authorization, body = { jsonrpc: '2.0', id: 1, method: 'tools/list' }) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify(body),
    });
  const metadata = () => `http://${url.host}/.well-known/oauth-protected-resource/mcp`;

  it('lists and calls the tools', async () => {
    const { tools } = await conn.client.listTools();
    assert.equal(tools.length, 5);
    const res = await conn.client.callTool({
      name: 'features.ohlcv_window',
      arguments: { symbol: 'EURUSD', interval: '1h', end: '2026-10-31T00:00:00Z', window: 20 },
    });
    assert.equal(res.isError, undefined);
    assert.equal(res.structuredContent.symbol, 'EURUSD');
  });

  it('refuses a request without a token with a challenge naming the metadata', async () => {
    const res = await post(undefined);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer realm="mcp", resource_metadata="${metadata()}"`);
    const body = await res.json();
    assert.equal(body.code, 'MCP-002');
  });

  for (const [name, make, description] of [
    ['an expired token', (c) => as.mint({ ...c, exp: c.iat - 600, iat: c.iat - 4200 }), 'the access token has expired'],
    ['a token for another audience', (c) => as.mint({ ...c, aud: 'https://other.example.com/mcp' }), () => `the access token is not for this server (its aud does not hold ${audience})`],
    ['a token from another issuer', (c) => as.mint({ ...c, iss: 'https://evil.example.com' }), 'the access token was issued by another issuer'],
    ['an unsigned token (alg none)', (c) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.`, null],
    ['a tampered payload', (c) => { const [h, , s] = as.mint(c).split('.'); return `${h}.${Buffer.from(JSON.stringify({ ...c, sub: 'mallory' })).toString('base64url')}.${s}`; }, "the access token's signature does not verify"],
  ]) {
    it(`refuses ${name} with invalid_token`, async () => {
      const bad = make(as.claims(audience, allScopes));
      const res = await post(`Bearer ${bad}`);
      assert.equal(res.status, 401);
      const challenge = res.headers.get('www-authenticate');
      assert.match(challenge, /^Bearer realm="mcp", error="invalid_token", error_description="[^"]*", resource_metadata="[^"]+"$/);
      assert.ok(challenge.endsWith(`resource_metadata="${metadata()}"`), challenge);
      const want = typeof description === 'function' ? description() : description;
      if (want) assert.ok(challenge.includes(`error_description="${want.replaceAll('"', "'")}"`), challenge);
    });
  }

  it('a client with a bad token cannot connect', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const client = new Client({ name: 'mcpgen-interop', version: '1.0.0' });
    const expired = as.mint(as.claims(audience, allScopes, { exp: 1, iat: 1, nbf: 1 }));
    const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${expired}` } } });
    await assert.rejects(client.connect(transport));
  });

  // The metadata endpoints (runtime/server mounts Stack.Endpoints) and the
  // trading tools' x-scopes (docs/security.md, "OAuth 2.1").
  it('publishes the protected-resource metadata', async () => {
    const res = await fetch(metadata());
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.resource, audience);
    assert.deepEqual(doc.authorization_servers, [as.issuer]);
    assert.deepEqual(doc.scopes_supported, allScopes);
  });

  it('refuses a call whose token lacks the tool scope with 403 insufficient_scope', async () => {
    const reader = as.mint(as.claims(audience, ['market:read', 'state:read']));
    const conn2 = await connectHTTPClient(url, reader);
    try {
      const read = await conn2.request(
        { method: 'tools/call', params: { name: 'storage.shared_state.get', arguments: { key: 'interop.never-set' } } },
        CallToolResultSchema,
      );
      assert.equal(JSON.parse(read.content[0].text).code, 'MCP-013', 'reading is allowed (the key was never set)');
      await assert.rejects(
        conn2.callTool({ name: 'storage.shared_state.set', arguments: { key: 'interop.oauth', value: 1 } }),
        (err) => err instanceof StreamableHTTPError && err.code === 403,
      );
    } finally {
      await conn2.close();
    }
    const res = await post(`Bearer ${reader}`, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'storage.shared_state.set', arguments: { key: 'interop.oauth', value: 1 } },
    });
    assert.equal(res.status, 403);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer realm="mcp", error="insufficient_scope", scope="state:write", error_description="the access token lacks a scope this request needs", resource_metadata="${metadata()}"`,
    );
    assert.deepEqual((await res.json()).details.missing_scopes, ['state:write']);
  });
});

/** A second client on a running server, with its own static token. */
async function connectHTTPClient(url, token) {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const client = new Client({ name: 'mcpgen-interop-reader', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}
