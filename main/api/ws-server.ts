// The headless hub's server: HTTP on loopback serving the built renderer, and a WebSocket
// carrying the contract (style.md, "two transports"). A per-run random access token is
// required on every WebSocket connection and every HTTP API request, so no other local
// user and no web page in the user's browser can drive the hub; the Host and Origin checks
// close DNS rebinding and cross-site WebSocket hijacking on top.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { LIMITS, type ErrorCode, type WsMessage } from './contract';
import { contentSecurityPolicy } from './csp';
import type { ApiLike } from './handlers';

export interface ServerOptions {
  api: ApiLike;
  /** Built renderer (index.html and assets). */
  staticDir: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  token?: string;
  maxMessageBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  /** Replaces the access token: pages with the old one are refused from now on, and the
   *  WebSockets they hold are closed once the reply that carried the news has gone out. */
  setToken(token: string): void;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; hashing first makes the lengths equal, so the length of the
 *  token does not leak either. */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function reply(id: number | null, code: ErrorCode, message: string): WsMessage {
  return { type: 'reply', id, result: { ok: false, error: { code, message } } };
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  let token = opts.token ?? newToken();
  const maxBytes = opts.maxMessageBytes ?? LIMITS.maxMessageBytes;
  const staticRoot = path.resolve(opts.staticDir);
  const sockets = new Set<WebSocket>();
  let port = 0;

  const allowedHosts = () => new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const hostOk = (h: string | undefined) => !!h && allowedHosts().has(h.toLowerCase());
  // Browsers always send Origin on WebSocket upgrades; a page from another site has its own.
  const originOk = (o: string | undefined) => o === undefined || [...allowedHosts()].some((h) => o === `http://${h}`);

  const tokenOf = (req: http.IncomingMessage, url: URL): string | null => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7);
    return url.searchParams.get('token');
  };

  const securityHeaders = (res: http.ServerResponse) => {
    // The page talks only to its own server.
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(`'self' ws://${host}:${port}`));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The token is in the page's URL: never send it on as a referrer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  };

  const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const serveStatic = (res: http.ServerResponse, pathname: string) => {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return sendJson(res, 400, { ok: false, error: { code: 'bad-request', message: 'Malformed path.' } });
    }
    let file = path.resolve(staticRoot, '.' + rel);
    if (!file.startsWith(staticRoot + path.sep) && file !== staticRoot) return sendJson(res, 404, { ok: false, error: { code: 'not-found', message: 'Not found.' } });
    if (!existsSync(file) || statSync(file).isDirectory()) {
      // The UI routes in the fragment, so anything that is not an asset gets the page.
      if (rel.startsWith('/assets/')) return sendJson(res, 404, { ok: false, error: { code: 'not-found', message: 'Not found.' } });
      file = path.join(staticRoot, 'index.html');
      if (!existsSync(file)) return sendJson(res, 503, { ok: false, error: { code: 'internal', message: 'The UI is not built (renderer/dist is missing).' } });
    }
    const isAsset = rel.startsWith('/assets/');
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      // Vite names assets by content hash; the page itself must never be cached with a token.
      'Cache-Control': isAsset ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    createReadStream(file).pipe(res);
  };

  const server = http.createServer((req, res) => {
    securityHeaders(res);
    if (!hostOk(req.headers.host)) return sendJson(res, 421, { ok: false, error: { code: 'unauthorized', message: 'Unknown Host header.' } });
    const url = new URL(req.url ?? '/', `http://${host}:${port}`);
    if (url.pathname.startsWith('/api/')) {
      // The HTTP face of the same contract, for scripts: POST /api/<channel> with JSON args.
      if (!tokenMatches(tokenOf(req, url), token)) return sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: 'A valid access token is required.' } });
      if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: 'Use POST with a JSON body.' } });
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice(5));
      } catch {
        return sendJson(res, 400, { ok: false, error: { code: 'bad-request', message: 'The request path is not valid.' } });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          tooBig = true;
          sendJson(res, 413, { ok: false, error: { code: 'too-large', message: `The request is larger than ${maxBytes} bytes.` } });
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => {
        if (tooBig) return;
        let args: unknown = {};
        const body = Buffer.concat(chunks).toString('utf8');
        if (body.trim()) {
          try {
            args = JSON.parse(body);
          } catch {
            return sendJson(res, 400, { ok: false, error: { code: 'bad-request', message: 'The body is not JSON.' } });
          }
        }
        void opts.api.call(channel, args).then((r) => sendJson(res, r.ok ? 200 : 400, r));
      });
      return undefined;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: 'Method not allowed.' } });
    return serveStatic(res, url.pathname);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBytes });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${host}:${port}`);
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`);
    };
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    if (!hostOk(req.headers.host) || !originOk(req.headers.origin)) return refuse(403, 'Forbidden');
    if (!tokenMatches(url.searchParams.get('token'), token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    return undefined;
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    const send = (m: WsMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) return send(reply(null, 'bad-request', 'Messages are JSON text, not binary.'));
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return send(reply(null, 'bad-request', 'The message is not JSON.'));
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return send(reply(null, 'bad-request', 'A request is an object {id, channel, args}.'));
      const { id, channel, args } = msg as Record<string, unknown>;
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) return send(reply(null, 'bad-request', 'A request needs a whole-number id.'));
      void opts.api.call(channel, args ?? {}).then((result) => send({ type: 'reply', id, result }));
      return undefined;
    });
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => sockets.delete(ws));
  });

  const unsubscribe = opts.api.on((event, payload) => {
    const text = JSON.stringify({ type: 'event', event, payload } satisfies WsMessage);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    setToken: (t: string) => {
      token = t;
      const open = [...sockets];
      setTimeout(() => {
        for (const ws of open) ws.close(4001, 'The access token was changed.');
      }, 300).unref();
    },
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.close(1001, 'The hub is shutting down.');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
