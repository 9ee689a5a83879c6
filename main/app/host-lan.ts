// LAN sync switched at run time: the SyncML endpoint for laptops and phones on the home
// network, started and stopped from Settings while the hub runs, and remembered in the
// hub's preferences so the next start (`concord serve` or the app) brings it back the same
// way. A `--lan-port` given on the command line turns it on for that run only.
// Beside plain HTTP (kept for the clients that need it) the same endpoint answers over HTTPS
// on a second port, with the hub's own certificate (tls.ts): the TLS server hands each
// decrypted connection to the endpoint's HTTP server, so both serve exactly the same.
import type net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { LanServices } from '../api/handlers';
import type { LanSettings } from '../api/contract';
import { startSyncmlEndpoint, type SyncmlEndpoint } from '../devices/syncml/http';
import type { Hub } from '../hub/hub';
import { advertiseCarddav, DEFAULT_CARDDAV_PATH, type CarddavAdvert } from './mdns';
import { loadOrCreateCertificate, type LanCertificate } from './tls';

/** The port offered until the user picks one (high, unprivileged, rarely taken). */
export const DEFAULT_LAN_PORT = 8642;
const PREF_ON = 'lan.on';
const PREF_PORT = 'lan.port';
const PREF_HTTPS_PORT = 'lan.httpsPort';

export interface LanOptions {
  dataDir: string;
  /** The address to bind (0.0.0.0: every interface of the machine). */
  host: string;
  sessionTimeoutMs?: number;
  /** The URL clients are told to use (a reverse proxy or port forward), instead of ours. */
  publicUrl?: string;
  /** The HTTPS port: a number (0: any free port, for tests), false for no HTTPS, or unset
   *  for the saved choice, else the HTTP port + 1. */
  httpsPort?: number | false;
  /** Announce CardDAV over mDNS/DNS-SD while on (default true). */
  mdns?: boolean;
  /** The CardDAV context path announced in the TXT record. */
  carddavPath?: string;
  log: (line: string) => void;
}

export class LanController implements LanServices {
  private endpoint: SyncmlEndpoint | null = null;
  private tlsServer: tls.Server | null = null;
  private httpsUrl: string | null = null;
  private cert: LanCertificate | null = null;
  private advert: CarddavAdvert | null = null;
  private port: number;
  private problem: string | null = null;
  /** Switches one at a time: a second click waits for the first to finish. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly hub: Hub,
    private readonly opts: LanOptions,
  ) {
    const saved = Number(hub.dss.pref(PREF_PORT));
    this.port = Number.isInteger(saved) && saved > 0 && saved <= 65535 ? saved : DEFAULT_LAN_PORT;
  }

  /** What the saved preference asks for at start: on, and at which port. */
  savedOn(): boolean {
    return this.hub.dss.pref(PREF_ON) === '1';
  }

  lan(): LanSettings {
    return {
      on: this.endpoint !== null,
      port: this.port,
      url: this.endpoint ? (this.opts.publicUrl ?? this.endpoint.url) : null,
      problem: this.problem,
      httpsUrl: this.httpsUrl,
      fingerprint: this.httpsUrl ? (this.cert?.fingerprint ?? null) : null,
    };
  }

  /** Starts at `port` without remembering anything (the command line's `--lan-port`).
   *  Throws when the port is taken: the caller asked for exactly that port. */
  async startNow(port: number): Promise<void> {
    await this.serialize(async () => {
      await this.open(port);
    });
  }

  /** From Settings: on or off now, remembered for the next start. A port in use leaves LAN
   *  sync off, with the reason in `problem`, and remembers nothing. */
  setLan(on: boolean, port?: number): Promise<LanSettings> {
    return this.serialize(async () => {
      this.problem = null;
      const want = port ?? this.port;
      if (!on) {
        await this.shut();
        this.port = want;
      } else if (!this.endpoint || this.endpointPort() !== want) {
        await this.shut();
        try {
          await this.open(want);
        } catch (e) {
          this.port = want;
          this.problem = describeListenError(e, want);
          return this.lan();
        }
      }
      this.hub.dss.setPref(PREF_ON, on ? '1' : '0');
      this.hub.dss.setPref(PREF_PORT, String(this.port));
      this.opts.log(on ? `LAN sync on: ${this.endpoint?.url}` : 'LAN sync off.');
      return this.lan();
    });
  }

  /** At start: the saved choice, if it was on. A port taken since is logged, not fatal. */
  async restore(): Promise<void> {
    if (!this.savedOn()) return;
    await this.serialize(async () => {
      try {
        await this.open(this.port);
      } catch (e) {
        this.problem = describeListenError(e, this.port);
        this.opts.log(`LAN sync stays off: ${this.problem}`);
      }
    });
  }

  close(): Promise<void> {
    return this.serialize(() => this.shut());
  }

  private endpointPort(): number {
    return this.endpoint ? Number(new URL(this.endpoint.url).port) : this.port;
  }

  private async open(port: number): Promise<void> {
    // Sessions are kept on disk, so a client can resume one (Alert 225) after a restart.
    this.endpoint = await startSyncmlEndpoint(this.hub, {
      stateDir: path.join(this.opts.dataDir, 'syncml'),
      host: this.opts.host,
      port,
      ...(this.opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.opts.sessionTimeoutMs } : {}),
      ...(this.opts.publicUrl !== undefined ? { publicUrl: this.opts.publicUrl } : {}),
    });
    this.port = this.endpointPort();
    await this.openHttps(this.endpoint);
    if (this.opts.mdns !== false) {
      this.advert = advertiseCarddav({
        port: this.port,
        httpsPort: this.tlsServer ? (this.tlsServer.address() as net.AddressInfo).port : null,
        path: this.opts.carddavPath ?? DEFAULT_CARDDAV_PATH,
        onError: (e) => this.opts.log(`LAN sync: announcing on the network failed: ${e.message}`),
      });
    }
  }

  /** What is announced on the network now (empty while off). */
  announced(): CarddavAdvert['services'] {
    return this.advert?.services ?? [];
  }

  /** HTTPS beside HTTP. Not being able to open it leaves plain HTTP on, with the reason in
   *  `problem` and the log. */
  private async openHttps(endpoint: SyncmlEndpoint): Promise<void> {
    if (this.opts.httpsPort === false) return;
    const saved = Number(this.hub.dss.pref(PREF_HTTPS_PORT));
    const want = this.opts.httpsPort ?? (Number.isInteger(saved) && saved > 0 && saved <= 65535 ? saved : this.port < 65535 ? this.port + 1 : this.port - 1);
    try {
      this.cert ??= await loadOrCreateCertificate(this.opts.dataDir);
      const server = tls.createServer({ cert: this.cert.cert, key: this.cert.key, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 });
      // The endpoint's HTTP server serves the decrypted connection: same routes, limits and
      // timeouts; `req.socket.encrypted` tells it the client came over HTTPS.
      server.on('secureConnection', (socket) => endpoint.httpServer.emit('connection', socket));
      server.on('tlsClientError', () => undefined); // a client that refuses our certificate
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(want, this.opts.host, () => resolve());
      });
      this.tlsServer = server;
      const port = (server.address() as net.AddressInfo).port;
      const u = new URL(endpoint.url);
      u.protocol = 'https:';
      u.port = String(port);
      this.httpsUrl = u.toString();
    } catch (e) {
      this.problem = `HTTPS is off: ${describeListenError(e, want)} Plain HTTP works.`;
      this.opts.log(`LAN sync: ${this.problem}`);
    }
  }

  private async shut(): Promise<void> {
    const e = this.endpoint;
    const t = this.tlsServer;
    const a = this.advert;
    this.advert = null;
    this.endpoint = null;
    this.tlsServer = null;
    this.httpsUrl = null;
    // The TLS server's connections live in the HTTP server, closed with the endpoint.
    const closed = t ? new Promise<void>((resolve) => t.close(() => resolve())) : Promise.resolve();
    await a?.stop();
    await e?.close();
    await closed;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function describeListenError(e: unknown, port: number): string {
  const code = (e as { code?: string })?.code;
  if (code === 'EADDRINUSE') return `Port ${port} is already used by another program. Choose another port (1024 to 65535).`;
  if (code === 'EACCES') return `Port ${port} needs administrator rights. Choose a port from 1024 to 65535.`;
  return `LAN sync could not start on port ${port}: ${(e as Error)?.message ?? String(e)}`;
}
