// The LAN endpoint: SyncML over HTTP POST. Off until started; binds where it is told.
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { type LoginLimiter } from './auth';
import { SyncmlServer, type SyncmlHub } from './server';
import { CarddavService, type CarddavHub, type CarddavOptions } from '../carddav/service';

export interface EndpointOptions {
  host: string;
  port: number;
  /** URL path of the endpoint (default /syncml). */
  path?: string;
  /** Largest request body accepted, in bytes (default 1 MB; also our MaxMsgSize). */
  maxBodyBytes?: number;
  sessionTimeoutMs?: number;
  limiter?: LoginLimiter;
  /** The host name to put in the URL when binding to a wildcard address. */
  publicHost?: string;
  /** The URL clients reach us at, when the Host they send does not say it (a reverse
   *  proxy that rewrites Host, TLS in front): RespURI is built from it. Without it, RespURI
   *  names the host and port each client used (its Host header). */
  publicUrl?: string;
  /** Where sessions are kept for a resume (Alert 225) across restarts; the hub's data
   *  folder + '/syncml' is the natural place. Without it, only in memory. */
  stateDir?: string;
  /** How long a client may take to send its request headers (default 10 s) and its whole
   *  request (default 30 s): a slow or stalled client is cut off rather than holding a
   *  socket. (The reply may take longer: it waits for the hub's run.) */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The CardDAV server on the same port (default: on when the hub is the full Hub), and
   *  its options. */
  carddav?: boolean | CarddavOptions;
}

export interface SyncmlEndpoint {
  /** The HTTP server; a TLS server hands it its connections to serve the same over HTTPS. */
  httpServer: http.Server;
  url: string;
  server: SyncmlServer;
  /** The CardDAV server's base URL on this endpoint, null when it is off. */
  carddavUrl: string | null;
  carddav: CarddavService | null;
  close(): Promise<void>;
}

/** The endpoint's URL as a client reached it, from the Host header it sent: a host name, an
 *  address of any interface, an IPv6 literal, or a port forward's host:port. undefined when
 *  the header is missing or not a plain host[:port]. */
export function urlFromHost(host: string | undefined, pathName: string, scheme: 'http' | 'https' = 'http'): string | undefined {
  if (!host) return undefined;
  const m = /^(\[[0-9A-Fa-f:.]+(?:%25[\w.-]+)?\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return undefined;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return undefined;
  return `${scheme}://${host.toLowerCase()}${pathName}`;
}

function lanAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export async function startSyncmlEndpoint(hub: SyncmlHub, opts: EndpointOptions): Promise<SyncmlEndpoint> {
  const pathName = opts.path ?? '/syncml';
  const maxBody = opts.maxBodyBytes ?? 1_000_000;
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const httpServer = http.createServer({
    headersTimeout: Math.min(opts.headersTimeoutMs ?? 10_000, requestTimeout),
    requestTimeout,
    // Checked often enough that the timeouts above mean what they say.
    connectionsCheckingInterval: Math.max(250, Math.min(1000, Math.floor(requestTimeout / 4))),
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const addr = httpServer.address() as AddressInfo;
  const wildcard = opts.host === '0.0.0.0' || opts.host === '::';
  // The URL we show (for pairing) and fall back on for a request without a usable Host:
  // on a wildcard bind, the first LAN address rather than loopback. RespURI itself follows
  // each client's Host (or the public URL).
  const host = opts.publicHost ?? (wildcard ? lanAddress() : opts.host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}${pathName}`;
  const server = new SyncmlServer(hub, {
    baseUrl: opts.publicUrl ?? url,
    maxMsgSize: maxBody,
    ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
    ...(opts.limiter ? { limiter: opts.limiter } : {}),
    ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
  });
  const carddav = opts.carddav !== false && 'dss' in hub ? new CarddavService(hub as unknown as CarddavHub, typeof opts.carddav === 'object' ? opts.carddav : {}) : null;
  httpServer.on('request', (req, res) => {
    // A request target the URL parser refuses (`//%EF%BF%BD/x` reads as a bad host name)
    // is a 400, not an exception that would end the hub.
    let u: URL;
    try {
      u = new URL(req.url ?? '/', 'http://x');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' });
      res.end('bad request target\n');
      return;
    }
    if (carddav && CarddavService.routes(u.pathname)) return carddav.serve(req, res);
    const send = (status: number, type: string, body: Uint8Array | string) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body as string), 'cache-control': 'no-store' });
      res.end(body);
    };
    if (u.pathname !== pathName) return send(404, 'text/plain', 'not found\n');
    if (req.method === 'GET') return send(200, 'text/plain', 'Concord SyncML server\n');
    if (req.method !== 'POST') return send(405, 'text/plain', 'POST only\n');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) {
      send(413, 'text/plain', 'message too large\n');
      req.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    // Node does not apply requestTimeout to a body being streamed to a handler: a client
    // that stops mid-body is cut off by a timer of our own.
    const bodyTimer = setTimeout(() => {
      aborted = true;
      send(408, 'text/plain', 'request body too slow\n');
      req.destroy();
    }, requestTimeout);
    res.on('close', () => clearTimeout(bodyTimer));
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        aborted = true;
        send(413, 'text/plain', 'message too large\n');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      clearTimeout(bodyTimer);
      if (aborted) return;
      // RespURI sends the client back where it came from, not to an address of ours it
      // may not reach (another interface, the far side of a port forward).
      const reached = opts.publicUrl ?? urlFromHost(req.headers.host, pathName, 'encrypted' in req.socket ? 'https' : 'http');
      server
        .handle({
          body: Buffer.concat(chunks),
          contentType: req.headers['content-type'],
          token: u.searchParams.get('s') ?? undefined,
          remote: req.socket.remoteAddress ?? '',
          ...(reached ? { baseUrl: reached } : {}),
        })
        .then((r) => send(r.status, r.contentType, r.body))
        .catch((e: unknown) => send(500, 'text/plain', `internal error: ${(e as Error).message}\n`));
    });
  });
  return {
    httpServer,
    url,
    server,
    carddavUrl: carddav ? url.slice(0, url.length - pathName.length) + '/dav/' : null,
    carddav,
    close: async () => {
      carddav?.close();
      server.close();
      httpServer.closeAllConnections?.();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

export { pairSyncmlDevice } from './pair';
