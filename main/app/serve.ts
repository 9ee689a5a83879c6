// The headless hub: `concord serve [--data DIR] [--port N] [--host 127.0.0.1] [--demo
// [--demo-phone]] [--lan-port N [--lan-host ADDR] [--lan-timeout SECONDS]] [--no-phones] [--in-process]`.
// Opens the hub on its SQLite file, runs the server in a worker thread (so the UI keeps
// being answered during a long sync; host-port.ts), serves the UI and the WebSocket API, prints the URL with
// the per-run access token, and shuts down cleanly on SIGINT/SIGTERM: a run in progress
// stops at its next acknowledgement (Hub.close), so nothing is lost. `--lan-port` starts the
// SyncML endpoint for laptops and phones on the home network (off by default) and prints its
// URL. Phones plugged in are watched (sync on connect) unless `--no-phones`.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startServer, type ServerOptions } from '../api/ws-server';
import { startHost, type HostOptions, type HubHost } from './host';
import { bindHost, type ToHub, type ToServer } from './host-port';
import { defaultDataDir } from './paths';
import type { ServerWorkerData } from './server-worker';

export { defaultDataDir };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIR = path.join(ROOT, 'renderer');
export const RENDERER_DIST = path.join(RENDERER_DIR, 'dist');

export interface ServeArgs {
  dataDir: string;
  port: number;
  host: string;
  demo: boolean;
  demoPhone: boolean;
  /** The SyncML LAN endpoint; null: off. */
  lanPort: number | null;
  lanHost: string;
  /** How long a SyncML client may stay silent mid-session before the hub drops it. */
  lanTimeoutS: number | null;
  /** The URL SyncML clients reach the hub at when the Host they send does not say it (a
   *  reverse proxy): RespURI names it. null: each client's own Host. */
  lanPublicUrl: string | null;
  phones: boolean;
  /** The hub on the server's own thread (for debugging; a long sync then delays replies). */
  inProcess: boolean;
}

function portNumber(flag: string, v: string): number | string {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 0 || n > 65535) return `${flag} must be a number from 0 to 65535`;
  return n;
}

export function parseServeArgs(argv: readonly string[]): ServeArgs | string {
  const out: ServeArgs = {
    dataDir: defaultDataDir(),
    port: 0,
    host: '127.0.0.1',
    demo: false,
    demoPhone: false,
    lanPort: null,
    lanHost: '0.0.0.0',
    lanTimeoutS: null,
    lanPublicUrl: null,
    phones: true,
    inProcess: false,
  };
  let lanHostGiven = false;
  const args = argv[0] === 'serve' ? argv.slice(1) : [...argv];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--demo') out.demo = true;
      else if (a === '--demo-phone') out.demoPhone = true;
      else if (a === '--no-phones') out.phones = false;
      else if (a === '--in-process') out.inProcess = true;
      else if (a === '--data') out.dataDir = path.resolve(value());
      else if (a === '--host') out.host = value();
      else if (a === '--lan-timeout') {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 3600) return '--lan-timeout must be a number of seconds from 1 to 3600';
        out.lanTimeoutS = n;
      } else if (a === '--lan-public-url') {
        const v = value();
        const u = URL.canParse(v) ? new URL(v) : null;
        if (!u || !/^https?:$/.test(u.protocol) || u.search || u.hash) return '--lan-public-url must be an http:// or https:// URL without ?query or #fragment';
        out.lanPublicUrl = v;
      } else if (a === '--lan-host') {
        out.lanHost = value();
        lanHostGiven = true;
      } else if (a === '--port' || a === '--lan-port') {
        const n = portNumber(a, value());
        if (typeof n === 'string') return n;
        if (a === '--port') out.port = n;
        else out.lanPort = n;
      } else if (a === '--help' || a === '-h') return 'help';
      else return `unknown option ${a}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (lanHostGiven && out.lanPort === null) return '--lan-host needs --lan-port';
  if (out.lanTimeoutS !== null && out.lanPort === null) return '--lan-timeout needs --lan-port';
  if (out.lanPublicUrl !== null && out.lanPort === null) return '--lan-public-url needs --lan-port';
  if (out.demoPhone && !out.demo) return '--demo-phone needs --demo';
  return out;
}

const USAGE =
  'usage: concord serve [--data DIR] [--port N] [--host 127.0.0.1] [--demo [--demo-phone]] [--lan-port N [--lan-host ADDR] [--lan-timeout SECONDS] [--lan-public-url URL]] [--no-phones] [--in-process]';

/** The newest modification time among the renderer's sources (dist excluded). */
function newestSource(dir = RENDERER_DIR): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the renderer with Vite's JS API when renderer/dist is missing (a fresh clone) or
 *  older than its sources (so a test never drives a stale UI). */
export async function ensureRendererBuilt(log: (s: string) => void = console.log): Promise<void> {
  const index = path.join(RENDERER_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource()) return;
  log('Building the UI…');
  const { build } = await import('vite');
  await build({ configFile: path.join(RENDERER_DIR, 'vite.config.ts'), logLevel: 'warn' });
}

export async function runServe(argv: string[]): Promise<number> {
  const args = parseServeArgs(argv);
  if (typeof args === 'string') {
    if (args === 'help') {
      console.log(USAGE);
      return 0;
    }
    console.error(`concord serve: ${args}\n${USAGE}`);
    return 2;
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(args.host)) {
    console.warn(`concord serve: listening on ${args.host} makes the hub reachable from other machines (the access token is still required).`);
  }
  mkdirSync(args.dataDir, { recursive: true });
  await ensureRendererBuilt();
  const hostOpts: HostOptions = {
    dataDir: args.dataDir,
    demo: args.demo,
    demoPhone: args.demoPhone,
    phones: args.phones,
    ...(args.lanPort !== null
      ? { lan: { host: args.lanHost, port: args.lanPort, ...(args.lanTimeoutS !== null ? { sessionTimeoutMs: args.lanTimeoutS * 1000 } : {}), ...(args.lanPublicUrl !== null ? { publicUrl: args.lanPublicUrl } : {}) } }
      : {}),
  };
  let host: HubHost;
  try {
    host = await startHost(hostOpts);
  } catch (e) {
    const msg = (e as Error).message;
    console.error(`concord serve: the hub could not start: ${/EADDRINUSE/.test(msg) && args.lanPort !== null ? `the LAN port ${args.lanPort} is in use` : msg}`);
    return 1;
  }
  const serverOpts = { staticDir: RENDERER_DIST, host: args.host, port: args.port };
  let server: { url: string; close(): Promise<void> };
  try {
    server = args.inProcess ? await startServer({ ...serverOpts, api: host.api }) : await startServerThread(host, serverOpts);
  } catch (e) {
    console.error(`concord serve: the server could not start: ${(e as Error).message}`);
    await host.close();
    return 1;
  }
  console.log(`Concord hub running at ${server.url}`);
  if (host.lanUrl) console.log(`SyncML URL: ${host.lanUrl} (pair each laptop or phone first: Devices → Pair a SyncML device)`);
  console.log(`Data: ${args.dataDir}${args.demo ? ' (demo devices attached)' : ''}. Press Ctrl+C to stop.`);
  const running = () => host.hub.running();
  const closeHub = () => host.close(); // the LAN endpoint first, then the hub, then the phones' links

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`Stopping (${signal})${running() ? ': the sync in progress stops at the next acknowledgement' : ''}…`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      try {
        await server.close();
        await closeHub();
        console.log('Concord hub stopped.');
        resolve(0);
      } catch (e) {
        console.error('concord serve: shutting down failed', e);
        resolve(1);
      }
    };
    const onInt = () => void stop('SIGINT');
    const onTerm = () => void stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/** The HTTP/WebSocket server in a worker thread, bound to the hub on this one. */
export async function startServerThread(host: HubHost, opts: Omit<ServerOptions, 'api'>): Promise<{ url: string; close(): Promise<void> }> {
  const entry = new URL('./server-worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { entry, server: opts } satisfies ServerWorkerData });
  const unbind = bindHost(host, worker);
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const onMessage = (m: ToHub) => {
        if (m.type === 'listening') resolve(m.url);
        else if (m.type === 'fatal') reject(new Error(m.message));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      void exited.then(() => reject(new Error('the server thread stopped before it listened')));
    });
    worker.on('error', (e) => console.error('concord serve: the server thread failed', e));
    return {
      url,
      close: async () => {
        worker.postMessage({ type: 'shutdown' } satisfies ToServer);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        unbind();
        await worker.terminate();
      },
    };
  } catch (e) {
    unbind();
    await worker.terminate();
    throw e;
  }
}

// Run directly (`node bin/run-ts.mjs main/app/serve.ts serve --demo`) until the CLI wires it.
if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  process.exitCode = await runServe(process.argv.slice(2));
}
