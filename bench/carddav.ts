// CardDAV benchmark: the same vdirsyncer client and the same cards against the hub and
// against Radicale (Debian; the reference small server), side by side in one run, phase by
// phase interleaved (the hub's upload, then Radicale's; the hub's no-op syncs, then
// Radicale's). Each request's server time comes from the server itself (Radicale's log;
// the hub's service timed in its process), each server's memory from /proc. Then the hub's
// own server-side costs in-process. Prints figures; fails nothing on a slow machine.
//
// `npm run bench -- carddav`. Environment:
//   BENCH_CARDDAV_N        sizes, comma-separated (default 1000; `1000,10000` for the full set)
//   BENCH_CARDDAV_SERVERS  hub,radicale (default both; `radicale` alone for a long baseline run)
//   BENCH_CARDDAV_OUT      a folder to keep results.json, the server logs and the progress in
//   BENCH_CARDDAV_PRELOAD  M: at sizes ≥ M Radicale's book is written into its storage before
//                          the run (its no-op sync at 10,000 without its hours-long upload)
//   BENCH_CARDDAV_BIG      cards per account for the in-process part (default 10000; 0 skips it)
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hub } from '../main/hub/hub';
import { pairCarddavAccount } from '../main/devices/carddav/pair';
import { CarddavService } from '../main/devices/carddav/service';
import { byMethod, genCards, has, loadAvg, mb, ProcMemory, putProfile, sh, startRadicale, vdirsyncer, type DavServer, type ServerRequest, type Timed } from './lib/dav';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ACCOUNTS = ['u1', 'u2', 'u3'];
const PASS = 'secret';

const stamp = () => new Date().toISOString().slice(11, 19);
const say = (s: string) => console.log(`[${stamp()} load ${loadAvg()}] ${s}`);

/** The hub as its own process (bench/lib/carddav-hub.ts), so its memory is its own. */
async function startHub(work: string): Promise<DavServer & { settle(): Promise<RunLog[]> }> {
  fs.mkdirSync(work, { recursive: true });
  const log = path.join(work, 'requests.jsonl');
  const child = fork(path.join(ROOT, 'bin/run-ts.mjs'), [path.join(ROOT, 'bench/lib/carddav-hub.ts'), work, log, ACCOUNTS.join(',')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
  const pending: ((m: HubMessage) => void)[] = [];
  child.on('message', (m: HubMessage) => pending.shift()?.(m));
  const ask = (m: object) =>
    new Promise<HubMessage>((resolve, reject) => {
      pending.push(resolve);
      child.send(m);
      child.once('exit', () => reject(new Error('the hub process exited')));
    });
  const ready = await new Promise<HubMessage>((resolve, reject) => {
    pending.push(resolve);
    child.once('exit', (code) => reject(new Error(`the hub process exited (${code})`)));
  });
  const reqs = () =>
    fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"method"'))
      .map((l) => JSON.parse(l) as ServerRequest);
  return {
    name: 'Concord',
    url: ready.url!,
    pid: child.pid!,
    requests: reqs,
    settle: async () => (await ask({ type: 'settle' })).runs ?? [],
    stop: async () => {
      await ask({ type: 'stop' });
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}

export interface RunLog {
  ms: number;
  at: number;
  ok: boolean;
}
interface HubMessage {
  url?: string;
  runs?: RunLog[];
}

interface Phase {
  seconds: number;
  rc: number;
  load: [string, string];
  requests: number;
  serverMs: number;
  breakdown: string;
}

function phase(t: Timed, reqs: ServerRequest[]): Phase {
  return { seconds: t.seconds, rc: t.rc, load: t.load, requests: reqs.length, serverMs: reqs.reduce((s, r) => s + r.ms, 0), breakdown: byMethod(reqs) };
}

/** Runs `fn` and returns the server's requests logged meanwhile. */
async function during<T>(server: DavServer, fn: () => Promise<T>): Promise<[T, ServerRequest[]]> {
  const before = server.requests().length;
  const r = await fn();
  return [r, server.requests().slice(before)];
}

/** Every minute of a long phase: how far the server got (PUTs so far, the last ones' cost). */
function progress(server: DavServer, n: number, out: string | null): () => void {
  const t0 = Date.now();
  const timer = setInterval(() => {
    const puts = server.requests().filter((r) => r.method === 'PUT');
    const last = puts.slice(-20);
    const line = `${server.name}: ${puts.length}/${n} PUTs after ${((Date.now() - t0) / 60_000).toFixed(1)} min, last 20 PUTs ${(last.reduce((s, r) => s + r.ms, 0) / Math.max(1, last.length)).toFixed(1)} ms each on the server`;
    say(line);
    if (out) fs.appendFileSync(path.join(out, 'progress.log'), `${new Date().toISOString()} load ${loadAvg()} ${line}\n`);
  }, 60_000);
  timer.unref();
  return () => clearInterval(timer);
}

interface ServerResult {
  server: string;
  n: number;
  empty?: Phase;
  upload?: Phase & { put: ReturnType<typeof putProfile> };
  /** The server's book held the cards already: `upload` is a first sync that moved nothing. */
  preloaded?: boolean;
  /** The hub's runs from the upload's start until it was idle again. */
  runsAfterUpload?: RunLog[];
  noop: Phase[];
  pull?: Phase;
  memory: { peakSampled: number; hwm: number; samples: number; atEnd: number };
}

async function sideBySide(sizes: number[], servers: string[], work: string, out: string | null, results: object[]): Promise<void> {
  if (!has('vdirsyncer')) {
    console.log('vdirsyncer is not installed: the side-by-side part is skipped');
    return;
  }
  const version = await sh('vdirsyncer', ['--version']);
  say(`vdirsyncer --version (the client's start-up alone): ${version.seconds.toFixed(2)} s`);
  results.push({ clientStartup: version.seconds, load: version.load });

  for (const n of sizes) {
    const cards = path.join(work, `cards-${n}`, 'contacts');
    genCards(n, cards);
    // BENCH_CARDDAV_PRELOAD=M: at sizes of M and more, Radicale's book holds the cards before
    // the run (written into its storage), so its no-op sync at a size whose upload takes hours
    // can be measured; its "upload" is then the client's first sync of a full book.
    const preload = n >= Number(process.env.BENCH_CARDDAV_PRELOAD ?? Infinity);
    const live: { srv: DavServer & { settle?(): Promise<RunLog[]> }; mem: ProcMemory; res: ServerResult; dir: (u: string) => string; state: (u: string) => string }[] = [];
    for (const name of servers) {
      if (name === 'radicale' && !has('radicale')) {
        console.log('radicale is not installed: the baseline is skipped');
        continue;
      }
      const sw = path.join(out ?? work, `${name}-${n}`);
      const srv = name === 'hub' ? await startHub(sw) : await startRadicale(sw, preload ? { user: 'u1', cards } : undefined);
      live.push({
        srv,
        mem: new ProcMemory(srv.pid),
        res: { server: srv.name, n, noop: [], memory: { peakSampled: 0, hwm: 0, samples: 0, atEnd: 0 } },
        dir: (u) => path.join(sw, `client-${u}`, 'contacts'),
        state: (u) => path.join(sw, `state-${u}`),
      });
    }
    const sync = (l: (typeof live)[number], u: string) => vdirsyncer(l.srv.url, u, PASS, l.dir(u), l.state(u));
    try {
      // The client's floor: a sync of an empty book (discovery, listing, nothing to move).
      // On the hub it is also each other account's first contact, so the runs after the
      // upload fill their books: 10,000 cards in three accounts.
      for (const l of live) {
        for (const u of ACCOUNTS.slice(1)) {
          const [t, reqs] = await during(l.srv, () => sync(l, u));
          l.res.empty ??= phase(t, reqs);
          if (t.rc !== 0) throw new Error(`${l.srv.name}: empty sync failed\n${t.out}`);
        }
        say(`${l.srv.name}, sync of an empty book: ${l.res.empty!.seconds.toFixed(2)} s (server ${l.res.empty!.serverMs.toFixed(0)} ms: ${l.res.empty!.breakdown})`);
      }
      for (const l of live) {
        fs.cpSync(cards, l.dir('u1'), { recursive: true });
        if (preload && l.srv.name === 'Radicale') l.res.preloaded = true;
        l.mem.resetPeak();
        const stop = progress(l.srv, n, out);
        const [t, reqs] = await during(l.srv, () => sync(l, 'u1'));
        stop();
        if (t.rc !== 0) throw new Error(`${l.srv.name}: upload failed\n${t.out.slice(-4000)}`);
        l.res.upload = { ...phase(t, reqs), put: putProfile(reqs) };
        if (l.srv.settle) l.res.runsAfterUpload = await l.srv.settle();
        const p = l.res.upload.put;
        say(
          `${l.srv.name}, ${l.res.preloaded ? 'first sync of a preloaded book' : 'upload'} of ${n}: ${t.seconds.toFixed(1)} s; ${p.count} PUTs, server time per PUT first 100 ${p.firstMs.toFixed(2)} ms, last 100 ${p.lastMs.toFixed(2)} ms` +
            (l.res.runsAfterUpload ? `; runs during and after it (${l.res.runsAfterUpload.length}): ${l.res.runsAfterUpload.map((r) => `${(r.ms / 1000).toFixed(2)} s`).join(', ')}` : '') +
            `; peak RSS ${mb(l.mem.peakSampled)} (maxRSS ${mb(l.mem.hwm)})`,
        );
        if (out) fs.writeFileSync(path.join(out, `${l.srv.name}-${n}-upload.json`), JSON.stringify(l.res, null, 1));
      }
      // The other accounts' clients pull what the runs put in their books (the hub only).
      for (const l of live.filter((x) => x.srv.settle)) {
        const [t, reqs] = await during(l.srv, () => sync(l, 'u2'));
        l.res.pull = phase(t, reqs);
        const got = fs.readdirSync(l.dir('u2')).length;
        say(`${l.srv.name}, second account's first pull: ${t.seconds.toFixed(1)} s, ${got} cards (server ${l.res.pull.serverMs.toFixed(0)} ms: ${l.res.pull.breakdown})`);
        await l.srv.settle!();
      }
      for (let i = 0; i < 3; i++) {
        for (const l of live) {
          const [t, reqs] = await during(l.srv, () => sync(l, 'u1'));
          const p = phase(t, reqs);
          l.res.noop.push(p);
          say(`${l.srv.name}, no-op sync of ${n} #${i + 1}: ${t.seconds.toFixed(2)} s (server ${p.serverMs.toFixed(0)} ms: ${p.breakdown})`);
        }
      }
    } finally {
      for (const l of live) {
        l.res.memory = { peakSampled: l.mem.peakSampled, hwm: l.mem.hwm, samples: l.mem.samples, atEnd: l.mem.sample() };
        l.mem.stop();
        await l.srv.stop();
        results.push(l.res);
        if (out) fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 1));
      }
    }
    table(n, live.map((l) => l.res));
  }
}

function table(n: number, rs: ServerResult[]): void {
  const hub = rs.find((r) => r.server === 'Concord');
  const rad = rs.find((r) => r.server === 'Radicale');
  const s = (p?: Phase) => (p ? (p.rc === 0 ? `${p.seconds.toFixed(2)} s` : 'failed') : '—');
  const ratio = (a?: Phase, b?: Phase) => (a && b && a.rc === 0 && b.rc === 0 ? `${(a.seconds / b.seconds).toFixed(3)}×` : '—');
  const med = (ps: Phase[]) => [...ps].sort((a, b) => a.seconds - b.seconds)[Math.floor(ps.length / 2)];
  const ms = (x?: number) => (x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(2)} ms`);
  console.log(`\nCardDAV, the same vdirsyncer client and the same ${n} cards:`);
  console.log('| | Concord | Radicale | ratio |\n|---|---|---|---|');
  console.log(`| sync of an empty book (the client's floor) | ${s(hub?.empty)} | ${s(rad?.empty)} | |`);
  if (rad?.preloaded) console.log(`| upload of ${n} (Radicale: its book preloaded, the client's first sync) | ${s(hub?.upload)} | ${s(rad.upload)} | |`);
  else console.log(`| upload of ${n} | ${s(hub?.upload)} | ${s(rad?.upload)} | ${ratio(hub?.upload, rad?.upload)} |`);
  console.log(`| server time per PUT, first 100 | ${ms(hub?.upload?.put.firstMs)} | ${ms(rad?.upload?.put.firstMs)} | |`);
  console.log(`| server time per PUT, last 100 | ${ms(hub?.upload?.put.lastMs)} | ${ms(rad?.upload?.put.lastMs)} | |`);
  console.log(`| server time per PUT, median of the first / last tenth | ${ms(hub?.upload?.put.firstMedianMs)} / ${ms(hub?.upload?.put.lastMedianMs)} | ${ms(rad?.upload?.put.firstMedianMs)} / ${ms(rad?.upload?.put.lastMedianMs)} | |`);
  console.log(`| no-op sync of ${n} (median of 3) | ${s(hub && med(hub.noop))} | ${s(rad && med(rad.noop))} | ${ratio(hub && med(hub.noop), rad && med(rad.noop))} |`);
  const medServer = (r?: ServerResult) => (r && r.noop.length ? r.noop.map((p) => p.serverMs).sort((a, b) => a - b)[Math.floor(r.noop.length / 2)] : undefined);
  const hs = medServer(hub);
  const rs2 = medServer(rad);
  const sr = hs !== undefined && rs2 !== undefined ? `${(hs / rs2).toFixed(4)}×` : '';
  console.log(`| its server time (all requests of a sync; median of 3) | ${ms(hs)} | ${ms(rs2)} | ${sr} |`);
  console.log(`| first no-op sync after the upload, server time | ${ms(hub?.noop[0]?.serverMs)} | ${ms(rad?.noop[0]?.serverMs)} | |`);
  console.log(`| peak RSS sampled / maxRSS | ${hub ? `${mb(hub.memory.peakSampled)} / ${mb(hub.memory.hwm)}` : '—'} | ${rad ? `${mb(rad.memory.peakSampled)} / ${mb(rad.memory.hwm)}` : '—'} | |`);
}

/** In-process, no runs: the server's own cost per PUT as a book grows, and a no-op sync-collection. */
async function serverSide(n: number, work: string): Promise<void> {
  const hub = Hub.open({ dataDir: path.join(work, 'hub-inproc') });
  for (const u of ACCOUNTS) pairCarddavAccount(hub, u, u, PASS);
  const svc = new CarddavService(hub, { debounceMs: 3_600_000, maxDelayMs: 3_600_000 });
  const auth = (u: string) => `Basic ${Buffer.from(`${u}:${PASS}`).toString('base64')}`;
  const card = (i: number) =>
    `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-${i}\r\nFN:Person ${i} Bench\r\nN:Bench;Person ${i};;;\r\nTEL;TYPE=CELL:+44 20 7946 ${String(i % 10000).padStart(4, '0')}\r\nEMAIL:p${i}@example.org\r\nEND:VCARD\r\n`;
  const put = (u: string, i: number) => svc.handle({ method: 'PUT', path: `/dav/${u}/contacts/c${i}.vcf`, headers: { authorization: auth(u), 'content-type': 'text/vcard', 'if-none-match': '*' }, body: card(i), remote: '127.0.0.1' });
  const perPut: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = put('u1', i);
    perPut.push(performance.now() - t0);
    if (r.status !== 201) throw new Error(`PUT ${i}: ${r.status} ${r.body}`);
  }
  const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const report = (token: string) =>
    svc.handle({ method: 'REPORT', path: '/dav/u1/contacts/', headers: { authorization: auth('u1') }, body: `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`, remote: '127.0.0.1' });
  const full = report('');
  const token = /<d:sync-token>([^<]*)</.exec(full.body)![1]!;
  const noop: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    report(token);
    noop.push(performance.now() - t0);
  }
  const listing: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t1 = performance.now();
    svc.handle({ method: 'PROPFIND', path: '/dav/u1/contacts/', headers: { authorization: auth('u1'), depth: '1' }, body: '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>', remote: '127.0.0.1' });
    listing.push(performance.now() - t1);
  }
  // The listing after a change (the kept one is stale): what a sync after a write pays.
  const fresh: number[] = [];
  for (let i = 0; i < 5; i++) {
    put('u1', n + i);
    const t1 = performance.now();
    svc.handle({ method: 'PROPFIND', path: '/dav/u1/contacts/', headers: { authorization: auth('u1'), depth: '1' }, body: '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>', remote: '127.0.0.1' });
    fresh.push(performance.now() - t1);
  }
  const ctag: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t1 = performance.now();
    svc.handle({ method: 'PROPFIND', path: '/dav/u1/contacts/', headers: { authorization: auth('u1'), depth: '0' }, body: '<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>', remote: '127.0.0.1' });
    ctag.push(performance.now() - t1);
  }
  console.log(`\nThe hub's server-side costs at ${n} cards (in-process, no runs; load ${loadAvg()}):`);
  console.log('| | Concord |\n|---|---|');
  console.log(`| PUT of a new card, cards 2–101 | ${avg(perPut.slice(1, 101)).toFixed(2)} ms |`);
  console.log(`| PUT of a new card, the last 100 | ${avg(perPut.slice(-100)).toFixed(2)} ms |`);
  console.log(`| \`sync-collection\` with no changes (median of 21) | ${median(noop).toFixed(2)} ms |`);
  console.log(`| \`PROPFIND\` Depth 0 \`getctag\` + \`sync-token\` (median of 21) | ${median(ctag).toFixed(2)} ms |`);
  console.log(`| \`PROPFIND\` Depth 1 of the book (\`getetag\`, \`getcontenttype\`), unchanged since the last one (median of 5) | ${median(listing).toFixed(1)} ms |`);
  console.log(`| the same right after a PUT (the listing rendered anew; median of 5) | ${median(fresh).toFixed(1)} ms |`);
  svc.close();
  await hub.close();
}

export async function run(): Promise<void> {
  const sizes = (process.env.BENCH_CARDDAV_N ?? process.env.CARDDAV_BENCH_N ?? '1000').split(',').map(Number);
  const servers = (process.env.BENCH_CARDDAV_SERVERS ?? 'hub,radicale').split(',');
  const big = Number(process.env.BENCH_CARDDAV_BIG ?? process.env.CARDDAV_BENCH_BIG ?? 10_000);
  const out = process.env.BENCH_CARDDAV_OUT ? path.resolve(process.env.BENCH_CARDDAV_OUT) : null;
  if (out) fs.mkdirSync(out, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-bench-carddav-'));
  const cpu = os.cpus()[0]?.model ?? '?';
  say(`machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; sizes ${sizes.join(', ')}; servers ${servers.join(', ')}`);
  const results: object[] = [];
  try {
    await sideBySide(sizes, servers, work, out, results);
    if (big > 0 && servers.includes('hub')) await serverSide(big, work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
