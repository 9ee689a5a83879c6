// The headless hub: `concord serve [--data DIR] [--port N] [--demo] [--host 127.0.0.1]`.
// Opens the hub on its SQLite file, serves the UI and the WebSocket API, prints the URL with
// the per-run access token, and shuts down cleanly on SIGINT/SIGTERM: a run in progress
// stops at its next acknowledgement (Hub.close), so nothing is lost.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Api } from '../api/handlers';
import { startServer } from '../api/ws-server';
import { Hub } from '../hub/hub';
import { setUpDemo, type Demo } from './demo';
import { defaultDataDir } from './paths';

export { defaultDataDir };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIR = path.join(ROOT, 'renderer');
export const RENDERER_DIST = path.join(RENDERER_DIR, 'dist');

export interface ServeArgs {
  dataDir: string;
  port: number;
  host: string;
  demo: boolean;
}

export function parseServeArgs(argv: readonly string[]): ServeArgs | string {
  const out: ServeArgs = { dataDir: defaultDataDir(), port: 0, host: '127.0.0.1', demo: false };
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
      else if (a === '--data') out.dataDir = path.resolve(value());
      else if (a === '--host') out.host = value();
      else if (a === '--port') {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 65535) return `--port must be a number from 0 to 65535`;
        out.port = n;
      } else if (a === '--help' || a === '-h') return 'help';
      else return `unknown option ${a}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return out;
}

const USAGE = 'usage: concord serve [--data DIR] [--port N] [--demo] [--host 127.0.0.1]';

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
  const hub = Hub.open({ dataDir: args.dataDir, autoReconcileEdits: true });
  let demo: Demo | undefined;
  if (args.demo) demo = await setUpDemo(hub);
  const api = new Api({ hub, dataDir: args.dataDir, demo: args.demo });
  const server = await startServer({ api, staticDir: RENDERER_DIST, host: args.host, port: args.port });
  console.log(`Concord hub running at ${server.url}`);
  console.log(`Data: ${args.dataDir}${args.demo ? ' (demo devices attached)' : ''}. Press Ctrl+C to stop.`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`Stopping (${signal})${hub.running() ? ': the sync in progress stops at the next acknowledgement' : ''}…`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      try {
        await server.close();
        demo?.dispose();
        api.dispose();
        await hub.close();
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

// Run directly (`node bin/run-ts.mjs main/app/serve.ts serve --demo`) until the CLI wires it.
if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  process.exitCode = await runServe(process.argv.slice(2));
}
