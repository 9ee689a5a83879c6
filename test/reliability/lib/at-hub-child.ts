// A hub process that syncs one handset over a real serial link, so a test can SIGKILL it
// in the middle of a run. The crash harness runs it on the same data folder as
// `concord serve` (never at the same time):
//   node bin/run-ts.mjs test/reliability/lib/at-hub-child.ts DATA_DIR PORT_PATH [TIMEOUT_MS]
// Prints "OPEN" once the phone answered, one "P <type> <detail>" line per progress event of
// the run (device-retrieving, committed, device-pushing …), then "DONE <outcome> <completed>"
// and exits 0.
import { openSerialLink } from '../../../native/serial';
import { AtPhonebookSyncPoint } from '../../../main/devices/at-phonebook/sync-point';
import { Hub } from '../../../main/hub/hub';

const [dataDir, portPath, timeout] = process.argv.slice(2) as [string, string, string | undefined];
const say = (s: string) => process.stdout.write(`${s}\n`);

const hub = Hub.open({ dataDir, region: 'GB', autoReconcileEdits: true });
const link = await openSerialLink(portPath, 115200);
const known = hub.devices().find((d) => d.kind === 'at-phonebook');
const sp = await AtPhonebookSyncPoint.open(link, {
  spid: known?.spid ?? 'imei:356938035643809',
  knownImsi: typeof known?.config.imsi === 'string' ? known.config.imsi : null,
  timeoutMs: Number(timeout ?? 1500),
});
if (!known) {
  hub.pairDevice({ spid: sp.spid, name: 'Handset', kind: 'at-phonebook', link: 'usb', changeTracking: 'snapshot', capacity: sp.capacity, config: sp.config() });
}
hub.attach(sp);
say(`OPEN ${JSON.stringify(sp.capacity)}`);
hub.on('progress', (p) => {
  const detail = p.type === 'device-pushing' ? `${p.done}/${p.total}` : p.type === 'committed' ? String(p.actions) : '';
  say(`P ${p.type} ${detail}`);
});
const summary = await hub.sync([sp.spid]);
const c = summary.counts[sp.spid];
if (!c?.error) hub.updateDeviceConfig(sp.spid, sp.config());
say(`DONE ${summary.outcome} ${c?.error ? `error:${c.error}` : 'completed'} pending=${c?.pending ?? '?'}`);
await hub.close();
await sp.close().catch(() => undefined);
process.exit(0);
