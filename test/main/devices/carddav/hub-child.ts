// A hub with its LAN endpoint (CardDAV) in a process of its own, so a test can SIGKILL it in
// the middle of an upload. Usage: tsx hub-child.ts DATA_DIR PORT USER PASS
// Prints "READY <base url>" once listening. Commands on stdin, one a line:
//   export  → "TRUTH <json: every contact's fn>" once no client change waits and no run runs.
import { Hub } from '../../../../main/hub/hub';
import { startSyncmlEndpoint } from '../../../../main/devices/syncml/http';
import { pairCarddavAccount } from '../../../../main/devices/carddav/pair';

const [dataDir, port, user, pass] = process.argv.slice(2) as [string, string, string, string];
const hub = Hub.open({ dataDir, region: 'GB' });
if (!hub.devices().some((d) => d.kind === 'carddav')) pairCarddavAccount(hub, 'Mac', user, pass);
const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: Number(port) });
const spid = hub.devices().find((d) => d.kind === 'carddav')!.spid;
process.stdout.write(`READY ${ep.url.replace(/\/syncml$/, '')}\n`);

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buf += chunk;
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    if (line === 'export') void exportTruth();
  }
});

async function exportTruth(): Promise<void> {
  for (;;) {
    if (ep.carddav!.pendingChanges(spid) === 0 && !hub.running()) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await hub.sync();
  process.stdout.write(`TRUTH ${JSON.stringify(hub.contacts().map((r) => r.contact.fn))}\n`);
}
