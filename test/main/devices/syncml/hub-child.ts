// A hub with its SyncML endpoint in a process of its own, so a test can kill it (SIGKILL)
// in the middle of a session. Usage: tsx hub-child.ts DATA_DIR PORT PUBLIC_URL USER PASS
// Prints "READY <url>" once listening; SIGTERM closes the hub cleanly.
import { Hub } from '../../../../main/hub/hub';
import { startSyncmlEndpoint } from '../../../../main/devices/syncml/http';
import { pairSyncmlDevice } from '../../../../main/devices/syncml/pair';

const [dataDir, port, publicUrl, user, pass] = process.argv.slice(2) as [string, string, string, string, string];
const hub = Hub.open({ dataDir, region: 'GB' });
if (!hub.devices().some((d) => d.kind === 'syncml')) pairSyncmlDevice(hub, 'phone', user, pass);
const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: Number(port), publicUrl, sessionTimeoutMs: 1_500, stateDir: `${dataDir}/syncml` });
process.stdout.write(`READY ${ep.url}\n`);
process.on('SIGTERM', () => {
  void ep
    .close()
    .then(() => hub.close())
    .then(() => process.exit(0));
});

// Commands on stdin, one a line, each answered by one line:
//   add TAG N  the editor adds N contacts (and the hub reconciles them) → "OK"
//   export     → "TRUTH <json of every contact of the truth>"
let queue = Promise.resolve();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buf += chunk;
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    queue = queue.then(() => command(line));
  }
});

async function command(line: string): Promise<void> {
  const [cmd, tag, n] = line.split(' ');
  if (cmd === 'add') {
    for (let i = 0; i < Number(n); i++) {
      hub.editor.add({ fn: `Hub ${tag} ${i}`, n: [tag as string, `Hub ${i}`], tel: [], email: [{ type: '', value: `hub.${tag}.${i}@example.org` }], adr: [], org: '', title: '', bday: '', note: '', url: [], extra: [] });
    }
    process.stdout.write('OK\n');
  } else if (cmd === 'export') {
    process.stdout.write(`TRUTH ${JSON.stringify(hub.contacts().map((r) => r.contact))}\n`);
  }
}
