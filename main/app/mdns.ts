// Discovery on the home network (RFC 6763 DNS-SD over RFC 6762 multicast DNS): while LAN
// sync is on, the hub announces `_carddav._tcp` on its HTTP port (and `_carddavs._tcp` on
// its HTTPS port), each with a `path` TXT record naming where the CardDAV context lives
// (RFC 6764 section 6), so macOS and iOS Contacts and DAVx⁵ find the hub by name. Off: a
// goodbye (TTL 0) withdraws the records at once.
import os from 'node:os';
import { Bonjour, type Service } from 'bonjour-service';

/** The CardDAV context path clients are pointed at (what /.well-known/carddav redirects to). */
export const DEFAULT_CARDDAV_PATH = '/dav/';

export interface CarddavAdvertOptions {
  /** The instance name users see ("Concord on <computer>"). */
  name?: string;
  port: number;
  /** The HTTPS port; null or unset: `_carddavs._tcp` is not announced. */
  httpsPort?: number | null;
  path?: string;
  /** The host name in the SRV record (default: this machine's, in .local). */
  host?: string;
  /** The address of the interface to announce on (default: the system's choice). */
  interface?: string;
  /** Problems of the responder (a socket error), for the log; never thrown. */
  onError?: (e: Error) => void;
}

export interface CarddavAdvert {
  /** The services announced, each as type, port and TXT. */
  services: { type: string; port: number; txt: Record<string, string> }[];
  stop(): Promise<void>;
}

/** The instance name: "Concord on" the computer's short host name. */
export function defaultInstanceName(): string {
  const short = os.hostname().split('.')[0] || 'this computer';
  return `Concord on ${short}`;
}

export function advertiseCarddav(opts: CarddavAdvertOptions): CarddavAdvert {
  const txt = { path: opts.path ?? DEFAULT_CARDDAV_PATH };
  // The options are multicast-dns's (its `interface`), though typed as a service's.
  const bonjour = new Bonjour((opts.interface ? { interface: opts.interface } : {}) as object, (e: Error) => opts.onError?.(e));
  const name = opts.name ?? defaultInstanceName();
  const base = { name, protocol: 'tcp' as const, txt, ...(opts.host ? { host: opts.host } : {}) };
  const published: Service[] = [bonjour.publish({ ...base, type: 'carddav', port: opts.port })];
  if (opts.httpsPort) published.push(bonjour.publish({ ...base, type: 'carddavs', port: opts.httpsPort }));
  for (const s of published) s.on('error', (e: Error) => opts.onError?.(e));
  let stopped: Promise<void> | null = null;
  return {
    services: published.map((s) => ({ type: s.type, port: s.port, txt })),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        // Goodbye packets first, then the socket; never waits long for a stuck socket.
        const timer = setTimeout(() => resolve(), 2000);
        bonjour.unpublishAll(() =>
          bonjour.destroy(() => {
            clearTimeout(timer);
            resolve();
          }),
        );
      })),
  };
}
