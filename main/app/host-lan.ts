// LAN sync switched at run time: the SyncML endpoint for laptops and phones on the home
// network, started and stopped from Settings while the hub runs, and remembered in the
// hub's preferences so the next start (`concord serve` or the app) brings it back the same
// way. A `--lan-port` given on the command line turns it on for that run only.
import path from 'node:path';
import type { LanServices } from '../api/handlers';
import type { LanSettings } from '../api/contract';
import { startSyncmlEndpoint, type SyncmlEndpoint } from '../devices/syncml/http';
import type { Hub } from '../hub/hub';

/** The port offered until the user picks one (high, unprivileged, rarely taken). */
export const DEFAULT_LAN_PORT = 8642;
const PREF_ON = 'lan.on';
const PREF_PORT = 'lan.port';

export interface LanOptions {
  dataDir: string;
  /** The address to bind (0.0.0.0: every interface of the machine). */
  host: string;
  sessionTimeoutMs?: number;
  /** The URL clients are told to use (a reverse proxy or port forward), instead of ours. */
  publicUrl?: string;
  log: (line: string) => void;
}

export class LanController implements LanServices {
  private endpoint: SyncmlEndpoint | null = null;
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
    return { on: this.endpoint !== null, port: this.port, url: this.endpoint ? (this.opts.publicUrl ?? this.endpoint.url) : null, problem: this.problem };
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
  }

  private async shut(): Promise<void> {
    const e = this.endpoint;
    this.endpoint = null;
    await e?.close();
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
