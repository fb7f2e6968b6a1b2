// The trading example served by mcpgen's runtime, driven by the official
// TypeScript SDK client over stdio and over Streamable HTTP: what a
// TypeScript MCP host sees when it lists and calls the tools.
//
//   TRADING_BIN=path/to/trading node --test     (scripts/interop.sh builds it)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CallToolResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { binary, connectHTTP, connectStdio } from './lib/servers.mjs';

const bin = binary('trading');

const toolNames = [
  'execution.sim_quote',
  'features.ohlcv_window',
  'risk.position_limits_check',
  'storage.shared_state.get',
  'storage.shared_state.set',
];

const window20 = { symbol: 'EURUSD', interval: '1h', end: '2026-10-31T00:00:00Z', window: 20 };

// Calls that the server must refuse, with the code and the violations
// (pointer and keyword) the client is sent. `schemaRejects` says whether the
// published input schema rejects the arguments too: x- policies such as
// x-decimal and x-allowlist are private, so a client cannot see them.
const refusals = [
  {
    name: 'a quantity with more than 8 decimal places',
    tool: 'risk.position_limits_check',
    args: { symbol: 'EURUSD', side: 'buy', quantity: 0.000000001 },
    code: 'MCP-001',
    violations: [['/quantity', 'x-decimal']],
    schemaRejects: false,
  },
  {
    name: 'a quantity of 0',
    tool: 'risk.position_limits_check',
    args: { symbol: 'EURUSD', side: 'buy', quantity: 0 },
    code: 'MCP-001',
    violations: [['/quantity', 'exclusiveMinimum']],
    schemaRejects: true,
  },
  {
    name: 'a symbol outside the allowlist',
    tool: 'risk.position_limits_check',
    args: { symbol: 'XAUUSD', side: 'buy', quantity: 1 },
    code: 'MCP-015',
    violations: [['/symbol', 'x-allowlist']],
    schemaRejects: false,
  },
  {
    name: 'a missing symbol, a bad side and a quantity sent as a string',
    tool: 'execution.sim_quote',
    args: { side: 'hold', quantity: '5' },
    code: 'MCP-001',
    violations: [
      ['/symbol', 'required'],
      ['/side', 'enum'],
      ['/quantity', 'type'],
    ],
    schemaRejects: true,
  },
  {
    name: 'an unknown interval, an end too far ahead and an unknown property',
    tool: 'features.ohlcv_window',
    args: { symbol: 'EURUSD', interval: '2h', end: '2099-01-01T00:00:00Z', extra: 1 },
    code: 'MCP-001',
    violations: [
      ['/interval', 'enum'],
      ['/end', 'x-datetime'],
      ['/extra', 'additionalProperties'],
    ],
    schemaRejects: true,
  },
  {
    name: 'a key with characters outside its pattern',
    tool: 'storage.shared_state.set',
    args: { key: 'bad key!', value: 1 },
    code: 'MCP-001',
    violations: [['/key', 'pattern']],
    schemaRejects: true,
  },
  {
    name: 'a limit order without a limit price',
    tool: 'execution.sim_quote',
    args: { symbol: 'EURUSD', side: 'buy', quantity: 7, orderType: 'limit' },
    code: 'MCP-001',
    violations: [['/limitPrice', 'required']],
    schemaRejects: false,
  },
  {
    name: 'reading a key that was never set',
    tool: 'storage.shared_state.get',
    args: { key: 'interop.never-set' },
    code: 'MCP-013',
    violations: [],
    schemaRejects: false,
  },
  {
    name: 'a market order larger than the whole book',
    tool: 'execution.sim_quote',
    args: { symbol: 'EURUSD', side: 'buy', quantity: 700000000 },
    code: 'MCP-012',
    violations: [],
    schemaRejects: false,
  },
  {
    name: 'a window longer than the candle history',
    tool: 'features.ohlcv_window',
    args: { ...window20, interval: '1d', window: 1000 },
    code: 'MCP-010',
    violations: [],
    schemaRejects: false,
  },
];

const securityCodes = new Set(['MCP-001', 'MCP-002', 'MCP-005', 'MCP-006', 'MCP-015', 'MCP-016', 'MCP-017']);

for (const [transport, connect] of [
  ['stdio', connectStdio],
  ['Streamable HTTP', connectHTTP],
]) {
  describe(`trading over ${transport}`, () => {
    let conn;
    let client;
    let tools;
    before(async () => {
      conn = await connect(bin);
      client = conn.client;
      // listTools also primes the client's output-schema validators, which
      // callTool applies to every structured result.
      tools = (await client.listTools()).tools;
    });
    after(async () => {
      await conn?.close();
    });

    // call sends tools/call and returns the result as it came, without the
    // checks callTool adds.
    const call = (name, args) => client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema);

    it('lists the five tools, with object schemas and no private x- keys', () => {
      assert.deepEqual(tools.map((t) => t.name).sort(), toolNames);
      for (const t of tools) {
        assert.equal(t.inputSchema.type, 'object', t.name);
        assert.equal(t.outputSchema?.type, 'object', t.name);
        assert.deepEqual(extensionKeys(t.inputSchema), [], `${t.name} inputSchema`);
        assert.deepEqual(extensionKeys(t.outputSchema), [], `${t.name} outputSchema`);
        assert.ok(t.description, t.name);
      }
    });

    it('features.ohlcv_window: OHLC, VWAP and volatility of the 20 candles that closed by end', async () => {
      const res = await client.callTool({ name: 'features.ohlcv_window', arguments: window20 });
      assert.equal(res.isError, undefined);
      const f = res.structuredContent;
      assert.equal(f.symbol, 'EURUSD');
      assert.equal(f.interval, '1h');
      assert.equal(f.candles, 20);
      const start = Date.parse(f.start);
      const end = Date.parse(f.end);
      assert.ok(end <= Date.parse(window20.end), `end ${f.end} is after ${window20.end}`);
      assert.equal(end - start, 20 * 3600_000, `${f.start}..${f.end} is not 20 hours`);
      assert.ok(f.low <= Math.min(f.open, f.close) && Math.max(f.open, f.close) <= f.high, JSON.stringify(f));
      assert.ok(f.low <= f.vwap && f.vwap <= f.high, `vwap ${f.vwap} outside ${f.low}..${f.high}`);
      assert.ok(f.volume > 0 && f.volatility >= 0 && f.atr > 0, JSON.stringify(f));
      assert.ok(f.atr <= f.high - f.low, `atr ${f.atr} wider than the range`);
      assertTextCopy(res);
    });

    it('risk.position_limits_check: allows an order within the limits', async () => {
      const res = await client.callTool({ name: 'risk.position_limits_check', arguments: { symbol: 'EURUSD', side: 'buy', quantity: 1000000 } });
      const r = res.structuredContent;
      assert.equal(r.allowed, true);
      assert.deepEqual(r.reasons, []);
      assert.equal(r.resultingPosition, 1000000);
      assert.ok(r.notional > 0 && r.notional <= r.maxNotional, JSON.stringify(r));
      assertTextCopy(res);
    });

    it('risk.position_limits_check: refuses an order over the limits, with a reason per limit', async () => {
      // 40M more on top of 20M held: 60M against EURUSD's position limit of 50M.
      const over = await client.callTool({
        name: 'risk.position_limits_check',
        arguments: { symbol: 'EURUSD', side: 'buy', quantity: 40000000, currentPosition: 20000000 },
      });
      const r = over.structuredContent;
      assert.equal(over.isError, undefined, 'a refused order is a result, not an error');
      assert.equal(r.allowed, false);
      assert.equal(r.resultingPosition, 60000000);
      assert.equal(r.maxQuantity, 50000000);
      assert.ok(r.reasons.some((s) => /position 60000000 exceeds/.test(s)), JSON.stringify(r.reasons));

      // 100M units at any EURUSD price above 0.6 break both limits.
      const both = await client.callTool({ name: 'risk.position_limits_check', arguments: { symbol: 'EURUSD', side: 'buy', quantity: 100000000 } });
      const reasons = both.structuredContent.reasons;
      assert.equal(reasons.length, 2, JSON.stringify(reasons));
      assert.match(reasons.join('\n'), /position .* exceeds/);
      assert.match(reasons.join('\n'), /notional .* exceeds/);

      // Selling out of a long position is within the limits.
      const sell = await client.callTool({
        name: 'risk.position_limits_check',
        arguments: { symbol: 'EURUSD', side: 'sell', quantity: 40000000, currentPosition: 45000000 },
      });
      assert.equal(sell.structuredContent.resultingPosition, 5000000);
      assert.equal(sell.structuredContent.allowed, true, JSON.stringify(sell.structuredContent.reasons));
    });

    it('risk.position_limits_check: trims and upper-cases the symbol, lower-cases the side', async () => {
      const res = await call('risk.position_limits_check', { symbol: ' eurusd ', side: 'BUY', quantity: 1 });
      assert.equal(res.isError, undefined, JSON.stringify(res.structuredContent));
      assert.equal(res.structuredContent.allowed, true);
    });

    it('execution.sim_quote: fills a market order level by level', async () => {
      const res = await client.callTool({ name: 'execution.sim_quote', arguments: { symbol: 'EURUSD', side: 'buy', quantity: 7000000 } });
      const q = res.structuredContent;
      assert.equal(q.symbol, 'EURUSD');
      assert.equal(q.side, 'buy');
      assert.equal(q.filled, 7000000);
      assert.equal(q.partial, false);
      assert.ok(q.levels.length >= 2, 'an order larger than one level takes several');
      assert.equal(sum(q.levels.map((l) => l.quantity)), q.filled);
      const prices = q.levels.map((l) => l.price);
      assert.deepEqual(prices, [...prices].sort((a, b) => a - b), 'a buy walks up the book');
      assert.ok(q.referencePrice < prices[0], 'asks are above the mid');
      assert.ok(prices[0] <= q.averagePrice && q.averagePrice <= prices.at(-1), JSON.stringify(q));
      assert.ok(q.slippageBps > 0, 'a buy pays above the mid');
      assertTextCopy(res);
    });

    it('storage.shared_state: set then get round-trips a JSON value, with versions', async () => {
      const key = `interop:${transport.replace(/\W/g, '')}`;
      const value = { note: 'héllo', numbers: [1, 2.5, -3e-7], nested: { ok: true, none: null } };
      const set1 = await client.callTool({ name: 'storage.shared_state.set', arguments: { key, value } });
      assert.deepEqual(set1.structuredContent, { key, version: 1, bytes: Buffer.byteLength(JSON.stringify(value)) });
      const got = await client.callTool({ name: 'storage.shared_state.get', arguments: { key } });
      assert.deepEqual(got.structuredContent, { key, value, version: 1 });
      const set2 = await client.callTool({ name: 'storage.shared_state.set', arguments: { key, value: 'second', ifVersion: 1 } });
      assert.equal(set2.structuredContent.version, 2);
      const got2 = await client.callTool({ name: 'storage.shared_state.get', arguments: { key } });
      assert.deepEqual(got2.structuredContent, { key, value: 'second', version: 2 });
    });

    for (const r of refusals) {
      it(`${r.tool}: refuses ${r.name} with ${r.code}`, async () => {
        const res = await call(r.tool, r.args);
        assert.equal(res.isError, true, JSON.stringify(res.structuredContent));
        // Every trading tool declares an outputSchema, so its errors come as
        // text only (clients check structuredContent against that schema).
        assert.equal(res.structuredContent, undefined);
        assert.equal(res.content.length, 1);
        const body = JSON.parse(res.content[0].text);
        assert.equal(body.error, true);
        assert.equal(body.code, r.code, body.message);
        assert.equal(body.security_event, securityCodes.has(r.code));
        assert.ok(body.message.length > 0);
        assert.ok(!Number.isNaN(Date.parse(body.timestamp)), body.timestamp);
        const got = (body.details.violations ?? []).map((v) => [v.pointer, v.keyword]);
        assert.deepEqual(sortPairs(got), sortPairs(r.violations));
        const schema = tools.find((t) => t.name === r.tool).inputSchema;
        const verdict = new AjvJsonSchemaValidator().getValidator(schema)(r.args);
        assert.equal(!verdict.valid, r.schemaRejects, `published input schema: ${verdict.errorMessage ?? 'accepts'}`);
      });
    }

    it('the published input schemas accept the valid arguments used here', () => {
      const valid = {
        'features.ohlcv_window': window20,
        'risk.position_limits_check': { symbol: 'EURUSD', side: 'buy', quantity: 1000000, price: 1.0832, currentPosition: -5 },
        'execution.sim_quote': { symbol: 'BTC/USD', side: 'sell', quantity: 0.5, orderType: 'limit', limitPrice: 67000 },
        'storage.shared_state.set': { key: 'a.b:c-d_e', value: [1, 'x'], ttlSeconds: 60, ifVersion: 0 },
        'storage.shared_state.get': { key: 'a.b:c-d_e' },
      };
      for (const t of tools) {
        const verdict = new AjvJsonSchemaValidator().getValidator(t.inputSchema)(valid[t.name]);
        assert.ok(verdict.valid, `${t.name}: ${verdict.errorMessage}`);
      }
    });

    it('an unknown tool is a JSON-RPC error -32602, not a tool result', async () => {
      await assert.rejects(client.callTool({ name: 'no.such_tool', arguments: {} }), (err) => {
        assert.ok(err instanceof McpError, String(err));
        assert.equal(err.code, ErrorCode.InvalidParams);
        return true;
      });
    });

    it('callTool() hands back the error results of tools that declare an outputSchema', async () => {
      // The runtime sends such errors as text only: the SDK checks any
      // structuredContent against the outputSchema, error or not.
      const res = await client.callTool({ name: 'storage.shared_state.get', arguments: { key: 'interop.never-set' } });
      assert.equal(res.isError, true);
      assert.equal(res.structuredContent, undefined);
      const body = JSON.parse(res.content[0].text);
      assert.equal(body.code, 'MCP-013');
      assert.equal(body.message, 'no value stored under key "interop.never-set"');
    });
  });
}

// extensionKeys returns the JSON pointers of every "x-" key in a schema.
function extensionKeys(node, at = '') {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => [
    ...(k.startsWith('x-') ? [`${at}/${k}`] : []),
    ...extensionKeys(v, `${at}/${k}`),
  ]);
}

// assertTextCopy checks that the result's text content is its structured
// content as JSON, for clients that read only text.
function assertTextCopy(res) {
  assert.equal(res.content.length, 1);
  assert.equal(res.content[0].type, 'text');
  assert.deepEqual(JSON.parse(res.content[0].text), res.structuredContent);
}

function sortPairs(pairs) {
  return [...pairs].sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}
