// What the app's device managers (phones.ts: serial ports; bluetooth.ts: BlueZ) share: the
// sync points a manager has attached to the hub, a sync it starts by itself (a failure is
// logged, never thrown: nobody awaits it), and, after every run that reached one of its sync
// points, what that sync point learnt kept in its device's config. What counts as learnt
// (and whether a run that erred on it still taught something) is the manager's `learnt`.
import type { SerialLink } from '../../native/serial';
import type { Spid } from '../core/types';
import { AtPhonebookSyncPoint } from '../devices/at-phonebook/sync-point';
import type { Hub } from '../hub/hub';
import type { SyncPoint } from '../hub/sync-point';
import type { RunSummary } from '../hub/types';

export interface AttachedPointsOptions<A extends { point: SyncPoint }> {
  log: (line: string) => void;
  /** The config to keep for `a` after a run that reached it (`erred`: the run ended in an
   *  error for it); null: nothing to keep. */
  learnt(a: A, erred: boolean): Record<string, unknown> | null;
}

export class AttachedPoints<A extends { point: SyncPoint }> {
  private readonly attached = new Map<Spid, A>();
  private readonly offRuns: () => void;

  constructor(
    private readonly hub: Hub,
    private readonly opts: AttachedPointsOptions<A>,
  ) {
    this.offRuns = hub.on('progress', (p) => {
      if (p.type === 'run-finished') this.afterRun(p.summary);
    });
  }

  has(spid: Spid): boolean {
    return this.attached.has(spid);
  }

  get(spid: Spid): A | undefined {
    return this.attached.get(spid);
  }

  entries(): IterableIterator<[Spid, A]> {
    return this.attached.entries();
  }

  attach(spid: Spid, a: A): void {
    this.attached.set(spid, a);
    this.hub.attach(a.point);
  }

  /** Detaches the sync point from the hub; what it held open is the caller's to close. */
  detach(spid: Spid): A | undefined {
    const a = this.attached.get(spid);
    if (!a) return undefined;
    this.attached.delete(spid);
    this.hub.detach(spid);
    return a;
  }

  /** Syncs one sync point in the background: a failure is the run's, and logged. */
  async syncNow(spid: Spid): Promise<void> {
    try {
      await this.hub.sync([spid]);
    } catch (e) {
      this.opts.log(`Syncing ${spid} failed: ${(e as Error).message}`);
    }
  }

  /** Stops keeping what runs taught (the manager is closing). */
  stopFollowingRuns(): void {
    this.offRuns();
  }

  /** Forgets every sync point, closing each with `close` (the hub is closed or closing, so
   *  none is detached from it). */
  async closeAll(close: (a: A) => Promise<void>): Promise<void> {
    this.offRuns();
    for (const [spid, a] of this.attached) {
      this.attached.delete(spid);
      await close(a).catch(() => undefined);
    }
  }

  /** After any run (automatic, "Sync now", "Sync all"): keep what each of these sync points
   *  learnt, for those the run reached and that are still paired. */
  private afterRun(summary: RunSummary): void {
    for (const spid of summary.devices) {
      const a = this.attached.get(spid);
      if (!a || !this.hub.device(spid)) continue;
      const config = this.opts.learnt(a, Boolean(summary.counts[spid]?.error));
      if (config) this.hub.updateDeviceConfig(spid, config);
    }
  }
}

/** Opens a paired AT phone's sync point on `link` with what its device config remembers:
 *  the IMSI it was last synced with (a swapped SIM is seen) and the storages the user picked. */
export function openPairedPhone(link: SerialLink, spid: Spid, config: Record<string, unknown>, timeoutMs?: number): Promise<AtPhonebookSyncPoint> {
  return AtPhonebookSyncPoint.open(link, {
    spid,
    knownImsi: typeof config.imsi === 'string' ? config.imsi : null,
    ...(Array.isArray(config.storages) ? { storages: config.storages as string[] } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}
