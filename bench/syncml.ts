// SyncML benchmark: SyncEvolution's client against the hub, and against
// SyncEvolution's own server (server-baseline.sh), same data, same machine. Prints figures;
// fails nothing on a slow machine. `node bin/run-ts.mjs bench/syncml.ts [N] [--hub-only]`.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hub } from '../main/hub/hub';
import { startSyncmlEndpoint } from '../main/devices/syncml/http';
import { pairSyncmlDevice } from '../main/devices/syncml/pair';

const TOOLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/tools/syncevolution');

interface Timing {
  rc: number;
  seconds: number;
}

function client(root: string, url: string, folder: string, mode: string, cfg: string, env: Record<string, string> = {}): Promise<Timing> {
  return new Promise((resolve) => {
    execFile(
      path.join(TOOLS, 'client-sync.sh'),
      [url, folder, mode, cfg],
      {
        env: { ...process.env, CLIENT_ROOT: root, RETRY_INTERVAL: '0', PRINTCHANGES: '0', CLIENT_LOGDIR: 'none', ...env },
        maxBuffer: 64 << 20,
        timeout: 900_000,
      },
      (_err, stdout) => {
        const rc = Number(/RC=(\d+)/.exec(stdout)?.[1] ?? 1);
        const seconds = Number(/ELAPSED_S=([\d.]+)/.exec(stdout)?.[1] ?? NaN);
        resolve({ rc, seconds });
      },
    );
  });
}

function gen(args: string[]): void {
  execFileSync('python3', [path.join(TOOLS, 'gen-vcards.py'), ...args], { stdio: 'ignore' });
}

function fmt(t: Timing): string {
  return t.rc === 0 ? `${t.seconds.toFixed(2)} s` : `failed (rc ${t.rc})`;
}

export async function run(n = 10_000, opts: { baseline?: boolean } = {}): Promise<Record<string, unknown>> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-bench-syncml-'));
  const results: Record<string, unknown> = { contacts: n };
  try {
    // ---- the hub -------------------------------------------------------------------------
    const hubData = path.join(base, 'hub');
    const folder = path.join(base, 'client-hub');
    gen([String(n), folder, '--seed', '4']);
    const hub = Hub.open({ dataDir: hubData, region: 'GB' });
    pairSyncmlDevice(hub, 'bench', 'bench', 'bench-pw');
    const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0, stateDir: path.join(hubData, 'syncml') });
    // Time the hub spends writing what a session received (kept for a resume, Alert 225).
    let keepMs = 0;
    const keep = ep.server.resume.keep.bind(ep.server.resume);
    ep.server.resume.keep = (...args) => {
      const t0 = performance.now();
      keep(...args);
      keepMs += performance.now() - t0;
    };
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const login = { SYNC_USER: 'bench', SYNC_PASS: 'bench-pw' };
    const root = path.join(base, 'clients');
    const slow = await client(root, ep.url, folder, 'slow', 'bench', login);
    const slowKeepMs = Math.round(keepMs);
    const idle = await client(root, ep.url, folder, 'two-way', 'bench', login);
    gen(['--modify', '10', folder, '--seed', '5']);
    const hubEdits = hub.contacts().slice(0, 5);
    for (const r of hubEdits) hub.editor.update(r.guid, { ...r.contact, note: 'edited in the hub' });
    const twoWay = await client(root, ep.url, folder, 'two-way', 'bench', login);
    clearInterval(sampler);
    await ep.close();
    await hub.close();
    results.hub = { slowSync: slow, slowSyncKeepMs: slowKeepMs, idleTwoWay: idle, twoWay10: twoWay, peakRssMB: Math.round(peak / 2 ** 20) };
    if (opts.baseline === false) {
      results.baseline = { error: 'not run (--hub-only)' };
      return results;
    }

    // ---- the baseline --------------------------------------------------------------------
    const sroot = path.join(base, 'baseline');
    const port = 19_000 + Math.floor(Math.random() * 900);
    const env = { ...process.env, CLIENTS: 'bench', RESET: '1', SERVER_LOGDIR: 'none', SYNC_USER: 'bench', SYNC_PASS: 'bench-pw' };
    try {
      execFileSync(path.join(TOOLS, 'server-baseline.sh'), ['start', String(port), sroot], { env, stdio: 'ignore', timeout: 60_000 });
      const bfolder = path.join(base, 'client-baseline');
      gen([String(n), bfolder, '--seed', '4']);
      const url = `http://127.0.0.1:${port}/syncevolution`;
      const broot = path.join(base, 'bclients');
      const bslow = await client(broot, url, bfolder, 'slow', 'bench', login);
      gen(['--modify', '10', bfolder, '--seed', '5']);
      const btwo = await client(broot, url, bfolder, 'two-way', 'bench', login);
      results.baseline = { slowSync: bslow, twoWay10: btwo };
    } catch (e) {
      results.baseline = { error: (e as Error).message };
    } finally {
      try {
        execFileSync(path.join(TOOLS, 'server-baseline.sh'), ['stop', sroot], { stdio: 'ignore', timeout: 60_000 });
      } catch {
        // already gone
      }
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
    report(n, results);
  }
  return results;
}

function report(n: number, results: Record<string, unknown>): void {
  if (!results.hub) return;
  const h = results.hub as { slowSync: Timing; slowSyncKeepMs: number; twoWay10: Timing; idleTwoWay: Timing; peakRssMB: number };
  const b = (results.baseline ?? { error: 'not run' }) as { slowSync?: Timing; twoWay10?: Timing; error?: string };
  console.log(`SyncML, ${n} contacts, SyncEvolution client (file backend, WBXML, MD5):`);
  console.log(`  slow sync        hub ${fmt(h.slowSync)}   baseline ${b.slowSync ? fmt(b.slowSync) : b.error}`);
  console.log(`    of which the hub kept what it received for a resume: ${h.slowSyncKeepMs} ms`);
  console.log(`  two-way 10+5 chg hub ${fmt(h.twoWay10)}   baseline ${b.twoWay10 ? fmt(b.twoWay10) : b.error} (baseline: 10 client changes)`);
  console.log(`  idle two-way     hub ${fmt(h.idleTwoWay)}`);
  console.log(`  hub peak RSS     ${h.peakRssMB} MB (bench process: hub + endpoint)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const args = process.argv.slice(2);
  const n = args.find((a) => /^\d+$/.test(a));
  await run(Number(n ?? 10_000), { baseline: !args.includes('--hub-only') });
}
