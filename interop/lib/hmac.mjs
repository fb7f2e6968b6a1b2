// HMAC v1 request signing for the TypeScript SDK clients' custom fetch,
// written from docs/hmac-v1.md alone (no code of the Go signer).
import { createHash, createHmac, randomBytes } from 'node:crypto';

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

/**
 * sign returns the fetch arguments of a request signed with HMAC v1 under
 * key ({id, secret}): its URL, the init with the signing headers added, and
 * the body bytes that were signed.
 */
export function sign(key, input, init = {}) {
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
    key.id,
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
  headers.set('X-Key-Id', key.id);
  headers.set('X-Timestamp', timestamp);
  headers.set('X-Nonce', nonce);
  headers.set('Idempotency-Key', idempotencyKey);
  headers.set('X-API-Version', apiVersion);
  headers.set('X-Signature', createHmac('sha256', key.secret).update(canonical).digest('hex'));
  return { url, init: { ...init, headers, body: body.length ? body : init.body }, body };
}
