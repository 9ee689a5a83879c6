// CardDAV benchmark: the same vdirsyncer client and the same cards against the hub and
// against Radicale (Debian; the reference small server), side by side in one run; then the
// hub's own server-side costs at 10,000 cards (PUT cost at the start and the end of the
// upload, a no-op sync-collection) and its memory with three accounts. Prints figures;
// fails nothing on a slow machine. `npm run bench -- carddav` (CARDDAV_BENCH_N=1000).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hub } from '../main/hub/hub';
import { startSyncmlEndpoint } from '../main/devices/syncml/http';
import { pairCarddavAccount } from '../main/devices/carddav/pair';
import { CarddavService } from '../main/devices/carddav/service';

const TOOLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/tools/carddav');

function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ rc: number; seconds: number; out: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 3_600_000 }, (err, stdout, stderr) => {
      resolve({ rc: err ? 1 : 0, seconds: (performance.now() - t0) / 1000, out: stdout + stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const vdirsyncer = (url: string, user: string, pass: string, dir: string, state: string) => sh('bash', [path.join(TOOLS, 'vdirsyncer-sync.sh'), url, user, pass, dir], { VDS_STATE: state });

function has(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function card(i: number): string {
  return `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-${i}\r\nFN:Person ${i} Bench\r\nN:Bench;Person ${i};;;\r\nTEL;TYPE=CELL:+44 20 7946 ${String(i % 10000).padStart(4, '0')}\r\nEMAIL:p${i}@example.org\r\nEND:VCARD\r\n`;
}

async function sideBySide(n: number, work: string): Promise<void> {
  if (!has('vdirsyncer')) {
    console.log('vdirsyncer is not installed: the side-by-side part is skipped');
    return;
  }
  const cards = path.join(work, 'cards');
  execFileSync(process.execPath, [path.join(TOOLS, 'gen-vcards.mjs'), 'gen', String(n), cards, '42']);
  const rows: [string, string, string][] = [];

  // The hub.
  const hub = Hub.open({ dataDir: path.join(work, 'hub') });
  pairCarddavAccount(hub, 'Bench', 'alice', 'secret');
  const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0 });
  const hubDir = path.join(work, 'hub-client', 'contacts');
  fs.cpSync(cards, hubDir, { recursive: true });
  const hubUp = await vdirsyncer(ep.carddavUrl!.replace(/\/dav\/$/, '/'), 'alice', 'secret', hubDir, path.join(work, 'hub-state'));
  const hubNoop = await vdirsyncer(ep.carddavUrl!.replace(/\/dav\/$/, '/'), 'alice', 'secret', hubDir, path.join(work, 'hub-state'));
  await ep.close();
  await hub.close();

  // Radicale.
  let radUp = { rc: 1, seconds: NaN, out: 'radicale is not installed' };
  let radNoop = radUp;
  if (has('radicale')) {
    const port = await freePort();
    const radWork = path.join(work, 'radicale');
    const start = execFileSync('bash', [path.join(TOOLS, 'radicale.sh'), String(port), radWork], { env: { ...process.env, RAD_AUTH: 'none', RAD_LOGLEVEL: 'warning' } }).toString();
    const pid = Number(/PID=(\d+)/.exec(start)?.[1]);
    try {
      const radDir = path.join(work, 'rad-client', 'contacts');
      fs.cpSync(cards, radDir, { recursive: true });
      radUp = await vdirsyncer(`http://127.0.0.1:${port}/`, 'alice', 'secret', radDir, path.join(work, 'rad-state'));
      radNoop = await vdirsyncer(`http://127.0.0.1:${port}/`, 'alice', 'secret', radDir, path.join(work, 'rad-state'));
    } finally {
      if (pid) process.kill(pid);
    }
  }
  const f = (t: { rc: number; seconds: number }) => (t.rc === 0 ? `${t.seconds.toFixed(1)} s` : 'failed');
  rows.push([`vdirsyncer upload of ${n}`, f(hubUp), f(radUp)]);
  rows.push([`vdirsyncer no-op sync of ${n}`, f(hubNoop), f(radNoop)]);
  console.log(`\nCardDAV, same vdirsyncer client, same ${n} cards:`);
  console.log('| | Concord | Radicale |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

async function serverSide(n: number, work: string): Promise<void> {
  const hub = Hub.open({ dataDir: path.join(work, 'hub10k') });
  const users = ['u1', 'u2', 'u3'];
  for (const u of users) pairCarddavAccount(hub, u, u, 'secret');
  // No runs during the measurement: the server's own cost only.
  const svc = new CarddavService(hub, { debounceMs: 3_600_000, maxDelayMs: 3_600_000 });
  const auth = (u: string) => `Basic ${Buffer.from(`${u}:secret`).toString('base64')}`;
  const put = (u: string, i: number) => svc.handle({ method: 'PUT', path: `/dav/${u}/contacts/c${i}.vcf`, headers: { authorization: auth(u), 'content-type': 'text/vcard', 'if-none-match': '*' }, body: card(i), remote: '127.0.0.1' });
  const perPut: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = put('u1', i);
    perPut.push(performance.now() - t0);
    if (r.status !== 201) throw new Error(`PUT ${i}: ${r.status} ${r.body}`);
  }
  const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const first = avg(perPut.slice(1, 101));
  const last = avg(perPut.slice(-100));
  const report = (token: string) =>
    svc.handle({ method: 'REPORT', path: '/dav/u1/contacts/', headers: { authorization: auth('u1') }, body: `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`, remote: '127.0.0.1' });
  const full = report('');
  const token = /<d:sync-token>([^<]*)</.exec(full.body)![1]!;
  const noop: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    report(token);
    noop.push(performance.now() - t0);
  }
  const t1 = performance.now();
  svc.handle({ method: 'PROPFIND', path: '/dav/u1/contacts/', headers: { authorization: auth('u1'), depth: '1' }, body: '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>', remote: '127.0.0.1' });
  const listing = performance.now() - t1;
  for (const u of users.slice(1)) for (let i = 0; i < n; i++) put(u, i);
  global.gc?.();
  const rss = process.memoryUsage().rss / 1e6;
  console.log(`\nThe hub's server-side costs at ${n} cards (in-process, no runs):`);
  console.log('| | Concord |\n|---|---|');
  console.log(`| PUT of a new card, cards 2-101 | ${first.toFixed(2)} ms |`);
  console.log(`| PUT of a new card, the last 100 | ${last.toFixed(2)} ms |`);
  console.log(`| sync-collection with no changes (median of 20) | ${noop.sort((a, b) => a - b)[10]!.toFixed(2)} ms |`);
  console.log(`| PROPFIND Depth 1 of the book (getetag) | ${listing.toFixed(0)} ms |`);
  console.log(`| process RSS, ${n} cards in each of 3 accounts | ${rss.toFixed(0)} MB |`);
  svc.close();
  await hub.close();
}

export async function run(): Promise<void> {
  const n = Number(process.env.CARDDAV_BENCH_N ?? 1000);
  const big = Number(process.env.CARDDAV_BENCH_BIG ?? 10_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-bench-carddav-'));
  try {
    await sideBySide(n, work);
    await serverSide(big, work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
