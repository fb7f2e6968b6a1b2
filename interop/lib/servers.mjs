// Starting an mcpgen server binary and connecting the official TypeScript
// SDK client to it, over stdio or Streamable HTTP.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** The binary under test: $name_BIN (TRADING_BIN, ...) or ../.tools/bin/NAME. */
export function binary(name) {
  return process.env[`${name.toUpperCase()}_BIN`] ?? resolve(import.meta.dirname, '../../.tools/bin', name);
}

// HTTP servers still running; killed when this process exits, so a test
// that crashes leaves no server behind.
const running = new Set();
process.on('exit', () => {
  for (const server of running) server.kill('SIGKILL');
});

function newClient() {
  return new Client({ name: 'mcpgen-interop', version: '1.0.0' });
}

/**
 * Spawns bin as a stdio server and connects a client to it. close() ends the
 * session, which ends the server. The server's stderr is kept for messages.
 */
export async function connectStdio(bin) {
  const transport = new StdioClientTransport({ command: bin, env: { ...process.env, MCP_SERVER_MODE: 'stdio' }, stderr: 'pipe' });
  const log = collect(transport.stderr);
  const client = newClient();
  await client.connect(transport);
  return { client, log: () => log.text, close: () => client.close() };
}

/**
 * Starts bin in http mode on a port the kernel picks (MCP_HTTP_ADDR
 * 127.0.0.1:0, or addr when given), learns the address from the runtime's
 * "serving MCP over HTTP" log line, and connects a client over Streamable
 * HTTP. env adds to the server's environment; fetch, when given, sends the
 * client's requests (a signing client hooks in there); requestInit, when
 * given, goes to the transport (headers such as a static Authorization).
 * close() ends the session and stops the server with SIGTERM.
 */
export async function connectHTTP(bin, { env = {}, fetch, requestInit, addr = '127.0.0.1:0' } = {}) {
  const server = spawn(bin, [], {
    env: { ...process.env, ...env, MCP_SERVER_MODE: 'http', MCP_HTTP_ADDR: addr, MCP_HTTP_PATH: '/mcp' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(server);
  server.on('exit', () => running.delete(server));
  const log = collect(server.stderr);
  let url;
  try {
    url = await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no "serving MCP over HTTP" line within 30s:\n${log.text}`)), 30_000);
      const look = () => {
        const m = /serving MCP over HTTP.*?addr[=":]+(127\.0\.0\.1:\d+)/.exec(log.text);
        if (m) {
          clearTimeout(timer);
          ok(new URL(`http://${m[1]}/mcp`));
        }
      };
      server.stderr.on('data', look);
      server.on('exit', (code) => fail(new Error(`server exited with ${code} before listening:\n${log.text}`)));
    });
  } catch (err) {
    server.kill('SIGKILL');
    throw err;
  }
  const client = newClient();
  const options = { ...(fetch ? { fetch } : {}), ...(requestInit ? { requestInit } : {}) };
  const transport = new StreamableHTTPClientTransport(url, Object.keys(options).length ? options : undefined);
  try {
    await client.connect(transport);
  } catch (err) {
    server.kill('SIGKILL');
    throw err;
  }
  const exited = new Promise((ok) => server.on('exit', ok));
  return {
    client,
    url,
    log: () => log.text,
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function collect(stream) {
  const log = { text: '' };
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk) => {
    log.text += chunk;
  });
  return log;
}

/** Returns a loopback port that was free a moment ago, for a server whose URL must be known before it starts. */
export async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}
