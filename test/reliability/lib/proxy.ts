// A small userspace TCP proxy for what the kernel cannot do here (no netem): delay with
// jitter, stalls, resets after N bytes in either direction, refused connections. It counts
// connections, bytes and HTTP requests (lines starting "POST "/"GET ") going up.
import net from 'node:net';

export interface ProxyFaults {
  /** Added to every chunk, each way, in ms (order kept). */
  delayMs?: number;
  jitterMs?: number;
  /** Reset (RST) the connection once this many bytes went this way on it. */
  resetAfter?: { dir: 'up' | 'down'; bytes: number } | null;
  /** Stop forwarding once this many bytes went up on a connection (the peer stalls; the
   *  connection stays open). */
  stallAfterUp?: number | null;
  /** Connections are refused (nothing listens). */
  refuse?: boolean;
}

export interface TcpProxy {
  port: number;
  faults: ProxyFaults;
  stats: { connections: number; requests: number; up: number; down: number; resets: number; stalls: number };
  /** Applies `refuse` (closes or reopens the listening socket). */
  apply(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(targetHost: string, targetPort: number, faults: ProxyFaults = {}, listenPort = 0): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const p: TcpProxy = {
    port: listenPort,
    faults,
    stats: { connections: 0, requests: 0, up: 0, down: 0, resets: 0, stalls: 0 },
    apply: async () => {
      if (p.faults.refuse && server) await closeServer();
      else if (!p.faults.refuse && !server) await listen();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeServer();
    },
  };
  const closeServer = () =>
    new Promise<void>((r) => {
      const s = server;
      server = null;
      if (!s) return r();
      s.close(() => r());
    });
  const onConnection = (client: net.Socket) => {
    p.stats.connections++;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const f = () => p.faults;
    let upBytes = 0;
    let downBytes = 0;
    let stalled = false;
    let dead = false;
    const kill = (reset: boolean) => {
      if (dead) return;
      dead = true;
      if (reset) {
        p.stats.resets++;
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      } else {
        client.destroy();
        upstream.destroy();
      }
    };
    let lastAt = 0;
    const later = (fn: () => void) => {
      const d = (f().delayMs ?? 0) + Math.random() * (f().jitterMs ?? 0);
      if (d <= 0) return fn();
      const at = Math.max(Date.now() + d, lastAt); // keep order
      lastAt = at;
      setTimeout(fn, at - Date.now());
    };
    client.on('data', (c: Buffer) => {
      if (dead || stalled) return;
      const text = c.toString('latin1');
      p.stats.requests += (text.match(/(^|\r\n)(POST|GET) \//g) ?? []).length;
      let chunk = c;
      const ra = f().resetAfter;
      const st = f().stallAfterUp;
      if (st != null && upBytes + c.length >= st) {
        chunk = c.subarray(0, Math.max(0, st - upBytes));
        stalled = true;
        p.stats.stalls++;
      }
      if (ra?.dir === 'up' && upBytes + c.length >= ra.bytes) {
        const part = c.subarray(0, Math.max(0, ra.bytes - upBytes));
        upBytes += part.length;
        p.stats.up += part.length;
        later(() => {
          if (!dead) upstream.write(part, () => kill(true));
        });
        return;
      }
      upBytes += chunk.length;
      p.stats.up += chunk.length;
      later(() => {
        if (!dead && chunk.length) upstream.write(chunk);
      });
    });
    upstream.on('data', (c: Buffer) => {
      if (dead || stalled) return;
      const ra = f().resetAfter;
      if (ra?.dir === 'down' && downBytes + c.length >= ra.bytes) {
        const part = c.subarray(0, Math.max(0, ra.bytes - downBytes));
        downBytes += part.length;
        p.stats.down += part.length;
        later(() => {
          if (!dead) client.write(part, () => kill(true));
        });
        return;
      }
      downBytes += c.length;
      p.stats.down += c.length;
      later(() => {
        if (!dead) client.write(c);
      });
    });
    const end = (s: net.Socket, other: net.Socket) =>
      s.on('end', () =>
        later(() => {
          if (!dead && !stalled) other.end();
        }),
      );
    end(client, upstream);
    end(upstream, client);
    for (const s of [client, upstream]) {
      s.on('error', () => kill(false));
      s.on('close', () => {
        sockets.delete(s);
        if (!stalled) later(() => kill(false));
      });
    }
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(p.port, '127.0.0.1', () => {
        p.port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  await p.apply();
  return p;
}
