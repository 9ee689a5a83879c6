// The headless hub: `concord serve [--data DIR] [--port N] [--host 127.0.0.1] [--demo
// [--demo-phone]] [--lan-port N [--lan-host ADDR] [--lan-timeout SECONDS]] [--no-phones] [--new-token] [--in-process]`.
// Opens the hub on its SQLite file, runs the server in a worker thread (so the UI keeps
// being answered during a long sync; host-port.ts), serves the UI and the WebSocket API, prints the URL with
// its access token (the port and token are kept in the data folder, ui-access.ts, so the
// address survives a restart; `concord open` opens it), and shuts down cleanly on SIGINT/SIGTERM: a run in progress
// stops at its next acknowledgement (Hub.close), so nothing is lost. `--lan-port` starts the
// SyncML endpoint for laptops and phones on the home network (off by default) and prints its
// URL. Phones plugged in are watched (sync on connect) unless `--no-phones`.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { newToken, startServer, type ServerOptions } from '../api/ws-server';
import { startHost, type HostOptions, type HubHost } from './host';
import { bindHost, type ToHub, type ToServer } from './host-port';
import { HelpRequested, intValue, parseCommandArgs, portValue, UsageError } from '../cli/args';
import { SERVE_ARGS } from '../cli/serve';
import { dataDirOf } from './paths';
import type { ServerWorkerData } from './server-worker';
import { loadUiAccess, saveUiAccess } from './ui-access';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIR = path.join(ROOT, 'renderer');
export const RENDERER_DIST = path.join(RENDERER_DIR, 'dist');

export interface ServeArgs {
  dataDir: string;
  /** null: the port kept in the data folder, else any free one. */
  port: number | null;
  host: string;
  /** Make a new access token (pages opened with the old one are shut out). */
  newToken: boolean;
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

const OPTIONS = {
  data: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  demo: { type: 'boolean' },
  'demo-phone': { type: 'boolean' },
  'lan-port': { type: 'string' },
  'lan-host': { type: 'string' },
  'lan-timeout': { type: 'string' },
  'lan-public-url': { type: 'string' },
  'no-phones': { type: 'boolean' },
  'in-process': { type: 'boolean' },
  'new-token': { type: 'boolean' },
} as const;

/** The address SyncML clients are told to come back to, instead of the one they used. */
function publicUrlValue(v: string): string {
  const u = URL.canParse(v) ? new URL(v) : null;
  if (!u || !/^https?:$/.test(u.protocol) || u.search || u.hash) throw new UsageError('--lan-public-url must be an http:// or https:// URL without ?query or #fragment');
  return v;
}

/** The arguments of `concord serve`; a string says what is wrong ('help': --help). */
export function parseServeArgs(argv: readonly string[]): ServeArgs | string {
  try {
    const { values: v } = parseCommandArgs(argv[0] === 'serve' ? argv.slice(1) : argv, OPTIONS);
    if (v['lan-host'] !== undefined && v['lan-port'] === undefined) throw new UsageError('--lan-host needs --lan-port');
    if (v['lan-timeout'] !== undefined && v['lan-port'] === undefined) throw new UsageError('--lan-timeout needs --lan-port');
    if (v['lan-public-url'] !== undefined && v['lan-port'] === undefined) throw new UsageError('--lan-public-url needs --lan-port');
    if (v['demo-phone'] && !v.demo) throw new UsageError('--demo-phone needs --demo');
    return {
      dataDir: dataDirOf(v.data),
      port: v.port !== undefined ? portValue('--port', v.port) : null,
      newToken: !!v['new-token'],
      host: v.host ?? '127.0.0.1',
      demo: !!v.demo,
      demoPhone: !!v['demo-phone'],
      lanPort: v['lan-port'] !== undefined ? portValue('--lan-port', v['lan-port']) : null,
      lanHost: v['lan-host'] ?? '0.0.0.0',
      lanTimeoutS: v['lan-timeout'] !== undefined ? intValue('--lan-timeout', v['lan-timeout'], 1, 3600, 'a number of seconds') : null,
      lanPublicUrl: v['lan-public-url'] !== undefined ? publicUrlValue(v['lan-public-url']) : null,
      phones: !v['no-phones'],
      inProcess: !!v['in-process'],
    };
  } catch (e) {
    if (e instanceof HelpRequested) return 'help';
    if (e instanceof UsageError) return e.message;
    throw e;
  }
}

const USAGE = `usage: concord serve ${SERVE_ARGS}`;

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
  // The UI's address stays the same from one start to the next (ui-access.ts): the port
  // given, else the one kept, else any free one; the token kept unless a new one is asked for.
  const kept = loadUiAccess(args.dataDir);
  const token = !args.newToken && kept ? kept.token : newToken();
  const wanted = args.port ?? kept?.port ?? 0;
  const start = (port: number) => {
    const serverOpts = { staticDir: RENDERER_DIST, host: args.host, port, token };
    return args.inProcess ? startServer({ ...serverOpts, api: host.api }) : startServerThread(host, serverOpts);
  };
  let server: { url: string; setToken(token: string): void; close(): Promise<void> };
  try {
    try {
      server = await start(wanted);
    } catch (e) {
      // The kept port taken by another program: another port, said plainly (a port given
      // with --port is the user's choice, and its failure an error).
      if (args.port !== null || wanted === 0 || !/EADDRINUSE/.test((e as Error).message)) throw e;
      server = await start(0);
      console.warn(`concord serve: port ${wanted} is in use by another program; the UI moved to a new address (below).`);
    }
  } catch (e) {
    const msg = (e as Error).message;
    console.error(`concord serve: the server could not start: ${/EADDRINUSE/.test(msg) ? `port ${wanted} is in use` : msg}`);
    await host.close();
    return 1;
  }
  const port = Number(new URL(server.url).port);
  saveUiAccess(args.dataDir, { port, token });
  host.lock.update({ url: server.url });
  const listening = server;
  host.api.provideAccess({
    newToken: () => {
      const fresh = newToken();
      saveUiAccess(args.dataDir, { port, token: fresh });
      listening.setToken(fresh);
      const url = new URL(listening.url);
      url.searchParams.set('token', fresh);
      host.lock.update({ url: url.href });
      console.log(`A new access token was made: Concord's UI is now at ${url.href}`);
      return { url: url.href };
    },
  });
  const running = () => host.hub.running();
  const closeHub = () => host.close(); // the LAN endpoint first, then the hub, then the phones' links

  // The signals are handled from before the address is printed: whoever stops the hub as
  // soon as it says where it runs stops it cleanly.
  const stopped = new Promise<number>((resolve) => {
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
  if (args.newToken && kept) console.log('A new access token was made: pages opened with the old address must be opened again (concord open).');
  console.log(`Concord hub running at ${server.url}`);
  if (host.lanUrl) console.log(`SyncML URL: ${host.lanUrl} (pair each laptop or phone first: Devices → Add a device)`);
  if (host.lanUrl) console.log(`CardDAV URL: ${host.lanUrl.replace(/\/syncml$/, '/dav/')} (pair each account first: Devices → Add a device, or concord device pair carddav NAME --user U --password P)`);
  else console.log('LAN sync is off: Settings → LAN sync turns it on for laptops and phones on your network.');
  const lanNow = host.lan.lan();
  if (lanNow.httpsUrl) console.log(`HTTPS: ${lanNow.httpsUrl} (certificate SHA-256 fingerprint ${lanNow.fingerprint}: compare it with what the device shows)`);
  console.log(`Data: ${args.dataDir}${args.demo ? ' (demo devices attached)' : ''}. Press Ctrl+C to stop.`);
  return stopped;
}

/** The HTTP/WebSocket server in a worker thread, bound to the hub on this one. */
export async function startServerThread(host: HubHost, opts: Omit<ServerOptions, 'api'>): Promise<{ url: string; setToken(token: string): void; close(): Promise<void> }> {
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
      setToken: (token) => worker.postMessage({ type: 'set-token', token } satisfies ToServer),
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
