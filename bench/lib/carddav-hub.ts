// The hub side of bench/carddav.ts, a process of its own so its memory is measured alone:
// `node bin/run-ts.mjs bench/lib/carddav-hub.ts DATADIR REQUESTLOG u1,u2,u3`. A real Hub on a
// real SQLite file with one CardDAV account per user (password `secret`), its LAN endpoint on
// loopback with the CardDAV service's default debounce (runs follow the clients' changes).
// Each request's server time (the service's handling, as Radicale's log times its own) and
// each run's are appended to REQUESTLOG as JSON lines. IPC: sends {url} when ready; answers
// {type:'settle'} with the runs since the last settle once the hub has been idle for 4 s (the
// service's longest delay before a run is 3 s), and {type:'stop'} by closing.
import fs from 'node:fs';
import { Hub } from '../../main/hub/hub';
import { startSyncmlEndpoint } from '../../main/devices/syncml/http';
import { pairCarddavAccount } from '../../main/devices/carddav/pair';

const [dataDir, log, users] = process.argv.slice(2);
if (!dataDir || !log || !users) {
  console.error('usage: carddav-hub.ts DATADIR REQUESTLOG USERS');
  process.exit(2);
}
const hub = Hub.open({ dataDir });
for (const u of users.split(',')) pairCarddavAccount(hub, u, u, 'secret');
const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0 });
const svc = ep.carddav!;
const fd = fs.openSync(log, 'a');

let lastActivity = Date.now();
let inFlight = 0;
let runs: { ms: number; at: number; ok: boolean }[] = [];

const handle = svc.handle.bind(svc);
svc.handle = (req) => {
  const t0 = performance.now();
  const r = handle(req);
  const ms = performance.now() - t0;
  lastActivity = Date.now();
  fs.writeSync(fd, `${JSON.stringify({ method: req.method, path: req.path, ms, status: r.status, at: Date.now(), bytes: r.body.length })}\n`);
  return r;
};

const sync = hub.sync.bind(hub);
hub.sync = (spids) => {
  const t0 = performance.now();
  inFlight++;
  const p = sync(spids);
  const done = (ok: boolean) => {
    inFlight--;
    const ms = performance.now() - t0;
    lastActivity = Date.now();
    runs.push({ ms, at: Date.now(), ok });
    fs.writeSync(fd, `${JSON.stringify({ run: true, ms, ok, at: Date.now() })}\n`);
  };
  p.then(
    () => done(true),
    () => done(false),
  );
  return p;
};

process.on('message', (m: { type: string }) => {
  if (m.type === 'settle') {
    const check = () => {
      if (inFlight === 0 && Date.now() - lastActivity > 4000) {
        process.send!({ runs });
        runs = [];
      } else setTimeout(check, 100);
    };
    check();
  } else if (m.type === 'stop') {
    void (async () => {
      await ep.close();
      await hub.close();
      fs.closeSync(fd);
      process.send!({}, () => process.exit(0));
    })();
  }
});
process.send!({ url: ep.carddavUrl!.replace(/\/dav\/$/, '/') });
