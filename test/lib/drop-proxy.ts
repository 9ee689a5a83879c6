// An HTTP proxy on loopback that loses replies: every request is forwarded to the server
// and answered there, but for the requests a rule picks the client's connection is closed
// instead of the reply being passed on (a Wi-Fi drop after the server committed). The
// client sees a dead connection; the server has done the work.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  /** 1-based count of requests with this method so far, this one included. */
  nth: number;
}

export interface DropProxy {
  /** The proxy's base URL (http://127.0.0.1:PORT). */
  url: string;
  /** Decides which replies are lost; replace it between phases of a test. */
  drop: (r: ProxiedRequest) => boolean;
  /** The requests whose replies were lost, in order. */
  dropped: ProxiedRequest[];
  /** Every request forwarded, in order. */
  seen: ProxiedRequest[];
  close(): Promise<void>;
}

export async function startDropProxy(target: string, drop: (r: ProxiedRequest) => boolean = () => false): Promise<DropProxy> {
  const up = new URL(target);
  const counts = new Map<string, number>();
  const proxy: DropProxy = { url: '', drop, dropped: [], seen: [], close: async () => undefined };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const server = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const nth = (counts.get(method) ?? 0) + 1;
    counts.set(method, nth);
    const info: ProxiedRequest = { method, path: req.url ?? '/', nth };
    proxy.seen.push(info);
    const lose = proxy.drop(info);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: up.host };
      delete headers.connection;
      const fwd = http.request({ host: up.hostname, port: up.port, method, path: req.url, headers, agent }, (r) => {
        const body: Buffer[] = [];
        r.on('data', (c: Buffer) => body.push(c));
        r.on('end', () => {
          // The server answered in full (it committed what the request asked): lose it.
          if (lose) {
            proxy.dropped.push(info);
            req.socket.destroy();
            return;
          }
          const out = { ...r.headers };
          delete out.connection;
          delete out['keep-alive'];
          res.writeHead(r.statusCode ?? 502, out);
          res.end(Buffer.concat(body));
        });
      });
      fwd.on('error', () => req.socket.destroy());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = async () => {
    server.closeAllConnections();
    agent.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return proxy;
}
