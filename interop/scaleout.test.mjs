// The official TypeScript SDK clients against several stateless replicas of
// the trading example behind nginx (issue 8): the v2 client
// (@modelcontextprotocol/client) speaking 2026-07-28, which has no
// initialize and no session, and the v1 client (@modelcontextprotocol/sdk)
// speaking 2025-11-25, both through the balancer, every request signed with
// HMAC v1 in the custom fetch. scripts/scaleout.sh starts the deployment and
// runs this file with its settings (MCP_SCALEOUT_*); without MCP_SCALEOUT=1
// it is skipped.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sign } from './lib/hmac.mjs';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';

const settings = ['MCP_SCALEOUT_URL', 'MCP_SCALEOUT_REPLICAS', 'MCP_SCALEOUT_KEYS_FILE'];
const missing = settings.filter((name) => !process.env[name]);
let skip = false;
if (process.env.MCP_SCALEOUT !== '1') {
  skip = 'multi-replica test: needs Redis, three replicas and nginx; run scripts/scaleout.sh';
} else if (missing.length > 0) {
  const msg = `MCP_SCALEOUT=1 but ${missing.join(', ')} unset: run the test through scripts/scaleout.sh, which starts the deployment and sets them`;
  if (process.env.CI === 'true') throw new Error(msg);
  skip = msg;
}

const TOOLS = [
  'execution.sim_quote',
  'features.ohlcv_window',
  'risk.position_limits_check',
  'storage.shared_state.get',
  'storage.shared_state.set',
];

function keys() {
  const { keys } = JSON.parse(readFileSync(process.env.MCP_SCALEOUT_KEYS_FILE, 'utf8'));
  return Object.fromEntries(keys.map((k) => [k.id, k]));
}

/**
 * signingFetch returns a fetch that signs every request with HMAC v1
 * (docs/hmac-v1.md) under key, and records in seen what each exchange was:
 * the JSON-RPC method, the MCP-Protocol-Version and Mcp-Session-Id sent,
 * the status and the replica that answered (the balancer's
 * X-Mcpgen-Upstream).
 */
function signingFetch(key, seen) {
  return async (input, init = {}) => {
    const { url, init: signed, body } = sign(key, input, init);
    const headers = signed.headers;
    const method = (init.method ?? 'GET').toUpperCase();
    const res = await fetch(url, signed);
    let rpc;
    try {
      rpc = body.length ? JSON.parse(body.toString('utf8')).method : undefined;
    } catch {
      rpc = undefined;
    }
    seen.push({
      method,
      rpc,
      protocolVersion: headers.get('mcp-protocol-version'),
      sessionId: headers.get('mcp-session-id'),
      status: res.status,
      upstream: res.headers.get('x-mcpgen-upstream'),
    });
    return res;
  };
}

// The checks both clients pass: the five tools, a call on each replica
// with its structured output, a tool error as the user sees it, and state
// written through one replica and read through another.
async function exercise(client, seen, tag) {
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    TOOLS,
  );

  for (let i = 0; i < 3; i++) {
    const res = await client.callTool({
      name: 'risk.position_limits_check',
      arguments: { symbol: 'EURUSD', side: 'buy', quantity: 1000000, price: 1.08 },
    });
    assert.ok(!res.isError, JSON.stringify(res));
    assert.equal(res.structuredContent.allowed, true);
    assert.equal(res.structuredContent.notional, 1080000);
  }

  const thin = await client.callTool({ name: 'execution.sim_quote', arguments: { symbol: 'BTC/USD', side: 'sell', quantity: 1000 } });
  assert.equal(thin.isError, true);
  const body = JSON.parse(thin.content[0].text);
  assert.equal(body.code, 'MCP-012');
  assert.equal(body.message, 'order book too thin: 1000 BTC/USD requested, 110 available across 10 bid levels');

  const key = `ts-${tag}-${randomBytes(6).toString('hex')}`;
  const set = await client.callTool({ name: 'storage.shared_state.set', arguments: { key, value: { desk: tag, max: [1, 2.5] } } });
  assert.ok(!set.isError, JSON.stringify(set));
  assert.equal(set.structuredContent.key, key);
  const setOn = seen.at(-1).upstream;
  // Read it back until a read lands on another replica than the write.
  let got;
  for (let i = 0; i < 3; i++) {
    got = await client.callTool({ name: 'storage.shared_state.get', arguments: { key } });
    if (seen.at(-1).upstream !== setOn) break;
  }
  assert.notEqual(seen.at(-1).upstream, setOn, 'read on another replica than the write');
  assert.ok(!got.isError, JSON.stringify(got));
  assert.deepEqual(got.structuredContent, { key, value: { desk: tag, max: [1, 2.5] }, version: set.structuredContent.version });

  const upstreams = new Set(seen.map((s) => s.upstream));
  assert.equal(upstreams.size, process.env.MCP_SCALEOUT_REPLICAS.split(',').length, `requests spread over every replica: ${[...upstreams]}`);
  for (const s of seen) {
    if (s.method === 'GET') {
      // The v1 client opens the standalone SSE stream; a stateless server
      // has none to give (405), which the client takes as "no stream".
      assert.equal(s.status, 405, JSON.stringify(s));
    } else {
      assert.ok(s.status < 300, `every POST succeeded: ${JSON.stringify(s)}`);
    }
  }
  assert.ok(seen.every((s) => !s.sessionId), 'no Mcp-Session-Id: the servers are stateless');
}

describe('TypeScript SDK clients through the balancer, stateless replicas', { skip }, () => {
  const url = skip ? undefined : new URL(process.env.MCP_SCALEOUT_URL);

  describe('v2 client (@modelcontextprotocol/client), 2026-07-28', () => {
    const seen = [];
    let client;
    before(async () => {
      client = new ClientV2({ name: 'mcpgen-scaleout-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await client.connect(new TransportV2(url, { fetch: signingFetch(keys()['ts-v2'], seen) }));
    });
    after(async () => client?.close());

    it('negotiates 2026-07-28 with server/discover: no initialize, no session', () => {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      assert.equal(client.getServerVersion().name, 'mcpgen-trading');
      assert.ok(client.getDiscoverResult().supportedVersions.includes('2026-07-28'), JSON.stringify(client.getDiscoverResult()));
      assert.deepEqual(
        seen.map((s) => s.rpc),
        ['server/discover'],
      );
    });

    it('lists and calls tools on every replica', async () => {
      await exercise(client, seen, 'v2');
      assert.ok(!seen.some((s) => s.rpc === 'initialize'), 'never initialize');
      for (const s of seen.slice(1)) assert.equal(s.protocolVersion, '2026-07-28', JSON.stringify(s));
    });
  });

  describe('v1 client (@modelcontextprotocol/sdk), 2025-11-25', () => {
    const seen = [];
    let client;
    let transport;
    before(async () => {
      client = new ClientV1({ name: 'mcpgen-scaleout-v1', version: '1.0.0' });
      transport = new TransportV1(url, { fetch: signingFetch(keys()['ts-v1'], seen) });
      await client.connect(transport);
    });
    after(async () => client?.close());

    it('initializes at 2025-11-25 without a session', () => {
      assert.equal(transport.protocolVersion, '2025-11-25');
      assert.equal(client.getServerVersion().name, 'mcpgen-trading');
      assert.equal(seen[0].rpc, 'initialize');
      assert.equal(transport.sessionId, undefined, 'the stateless server opens no session');
    });

    it('lists and calls tools on every replica', async () => {
      await exercise(client, seen, 'v1');
      for (const s of seen.slice(1)) assert.equal(s.protocolVersion, '2025-11-25', JSON.stringify(s));
    });
  });

  it('an unsigned request through the balancer gets 401, MCP-002 and the challenge', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^MCP-HMAC-SHA256-V1 realm="mcp"/);
    const body = await res.json();
    assert.equal(body.code, 'MCP-002');
    assert.equal(
      body.message,
      // The replicas hold several keys, so X-Key-Id is required too.
      'missing HMAC v1 header(s) X-Key-Id, X-Signature, X-Timestamp, X-Nonce, Idempotency-Key, X-API-Version; every request must carry X-Key-Id, X-Signature, X-Timestamp, X-Nonce, Idempotency-Key, X-API-Version',
    );
  });
});
