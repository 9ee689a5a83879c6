// Pairing a SyncML client: the user approves it in the hub, which stores its login. The
// hub keeps b64(md5(user:password)) — what both basic and MD5 authentication can be checked
// against — not the password.
import type { Spid } from '../../core/types';
import type { DeviceRecord } from '../../hub/types';
import { credentialDigest } from './auth';
import { syncmlConfigOf, type SyncmlDeviceConfig } from './server';

/** What pairing needs of the hub (main/hub/hub.ts `Hub` satisfies it). */
export interface PairingHub {
  devices(): DeviceRecord[];
  pairDevice(req: {
    spid?: Spid;
    name: string;
    kind: 'syncml';
    link: 'lan';
    changeTracking: 'log';
    config?: Record<string, unknown>;
  }): DeviceRecord;
}

export class PairError extends Error {}

/** Pairs (or re-pairs, keeping its SPID) the SyncML client that logs in as `user`. A new
 *  password forgets the anchors: the client's next session is a slow sync. */
export function pairSyncmlDevice(hub: PairingHub, name: string, user: string, password: string): DeviceRecord {
  if (!user || /[:\s]/.test(user)) throw new PairError('The SyncML user name must be non-empty, without spaces or colons.');
  if (!password) throw new PairError('The SyncML password must not be empty.');
  const existing = hub.devices().find((d) => d.kind === 'syncml' && syncmlConfigOf(d)?.user === user);
  const syncml: SyncmlDeviceConfig = { user, digest: credentialDigest(user, password), anchors: {} };
  return hub.pairDevice({
    ...(existing ? { spid: existing.spid } : {}),
    name,
    kind: 'syncml',
    link: 'lan',
    changeTracking: 'log',
    config: { syncml },
  });
}

/** `concord device pair syncml NAME --user U --password P [--data DIR]`. */
export async function runPairCommand(argv: readonly string[]): Promise<number> {
  let name: string | undefined;
  let user: string | undefined;
  let password: string | undefined;
  let dataDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--user') user = value();
    else if (flag === '--password') password = value();
    else if (flag === '--data') dataDir = value();
    else if (!a.startsWith('--') && name === undefined) name = a;
    else {
      process.stderr.write(`concord device pair syncml: unexpected argument ${a}\n`);
      return 2;
    }
  }
  if (!name || !user || password === undefined) {
    process.stderr.write('usage: concord device pair syncml NAME --user U --password P [--data DIR]\n');
    return 2;
  }
  const { Hub } = await import('../../hub/hub');
  const { defaultDataDir } = await import('../../app/paths');
  const hub = Hub.open({ dataDir: dataDir ?? defaultDataDir() });
  try {
    const d = pairSyncmlDevice(hub, name, user, password);
    process.stdout.write(`paired SyncML device "${d.name}" (${d.spid}) for user ${user}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`concord device pair syncml: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await hub.close();
  }
}
