// Alerts and anchors: which sync mode a database gets from the client's Alert and the
// anchors both sides kept, and how the anchors move on when a session completes.
import type { Spid } from '../../core/types';
import { syncmlConfigOf, type SyncmlHub } from './device-config';

export type SyncMode = 'two-way' | 'slow' | 'one-way-from-client' | 'refresh-from-client' | 'one-way-from-server' | 'refresh-from-server';

export const MODE_OF_ALERT: Record<number, SyncMode> = {
  200: 'two-way',
  201: 'slow',
  202: 'one-way-from-client',
  203: 'refresh-from-client',
  204: 'one-way-from-server',
  205: 'refresh-from-server',
};
export const ALERT_OF_MODE: Record<SyncMode, number> = {
  'two-way': 200,
  slow: 201,
  'one-way-from-client': 202,
  'refresh-from-client': 203,
  'one-way-from-server': 204,
  'refresh-from-server': 205,
};

/** Alert 225: resume an interrupted session. */
export const ALERT_RESUME = 225;

/** Database names a client may use for the contacts store. */
export function isContactsDb(uri: string): boolean {
  return /(contact|addressbook|card|\bcon$|^con$|pab)/i.test(uri.replace(/^\.\//, ''));
}

export function canonicalDb(uri: string): string {
  return uri.replace(/^\.\//, '').replace(/\?.*$/, '').toLowerCase();
}

function anchorNow(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** One database of a session, as its Alert decided it. */
export interface DbState {
  /** Our name of the database (the client's Target). */
  name: string;
  /** The client's name (its Source), the Target of our commands. */
  clientUri: string;
  mode: SyncMode;
  clientNext: string;
  serverLast?: string;
  serverNext: string;
  anchorKey: string;
  /** The run reports the device as having lost its sync state. */
  lost: boolean;
  /** Alert 225 accepted: this session continues an interrupted one. */
  resumed: boolean;
  /** The client's Last anchor as alerted ('' for none). */
  clientLast: string;
}

/** What an interrupted session left that a resume may continue. */
export interface Resumable<E> {
  mode: SyncMode;
  lost: boolean;
  entries: E[];
}

/** Decides the sync mode of one database from the client's Alert and our anchors.
 *  `resumable(anchorKey, last)`: what an interrupted session of this client kept for that
 *  database and Last anchor, if a resume of it is possible. */
export function decideAlert<E>(
  hub: SyncmlHub,
  spid: Spid,
  now: number,
  target: string,
  clientUri: string,
  code: number,
  anchor: { last?: string; next?: string },
  resumable: (anchorKey: string, last: string) => Resumable<E> | null,
): { code: number; db: DbState; kept?: E[] } {
  const conf = syncmlConfigOf(hub.device(spid));
  const anchorKey = canonicalDb(target);
  const stored = conf?.anchors?.[anchorKey];
  const serverNext = anchorNow(now);
  let mode: SyncMode = MODE_OF_ALERT[code] ?? 'slow';
  let status = 200;
  let kept: E[] | undefined;
  let keptMode: SyncMode | undefined;
  let keptLost = false;
  const last = anchor.last ?? '';
  const anchorsMatch = !!stored && last !== '' && (last === stored.client || last === stored.prevClient);
  if (code === ALERT_RESUME) {
    // Resume of an interrupted session (OMA DS 1.2): accepted when we kept what that
    // session received and the client alerts the same Last anchor; its records join
    // this run's. Otherwise 509 ("cannot resume", a normal sync) when the anchors still
    // match — the client then resends its whole change log, which the method recovers
    // from — and 508 (slow sync) only when they do not.
    const r = resumable(anchorKey, last);
    if (r) {
      kept = r.entries;
      keptMode = mode = r.mode;
      keptLost = r.lost;
    } else if (anchorsMatch) {
      status = 509;
      mode = 'two-way';
    } else {
      status = 508;
      mode = 'slow';
    }
  } else if ((mode === 'two-way' || mode === 'one-way-from-client' || mode === 'one-way-from-server') && !anchorsMatch) {
    // Anchor mismatch: the client's change log cannot be trusted against ours; slow sync
    // (lostSyncState for the method).
    status = 508;
    mode = 'slow';
  }
  const lost = keptMode ? keptLost : mode === 'slow' || mode === 'refresh-from-server';
  return {
    code: status,
    db: {
      name: target,
      clientUri,
      mode,
      clientNext: anchor.next ?? '',
      ...(stored?.server ? { serverLast: stored.server } : {}),
      serverNext,
      anchorKey,
      lost,
      resumed: kept !== undefined,
      clientLast: last,
    },
    ...(kept ? { kept } : {}),
  };
}

/** The client closed the session: its anchors and ours move on. */
export function advanceAnchors(hub: SyncmlHub, spid: Spid, db: DbState): void {
  const conf = syncmlConfigOf(hub.device(spid));
  if (!conf) return;
  const prev = conf.anchors?.[db.anchorKey];
  const anchors = { ...(conf.anchors ?? {}) };
  anchors[db.anchorKey] = { client: db.clientNext, ...(prev ? { prevClient: prev.client } : {}), server: db.serverNext };
  // The kept session stays (emptied at the commit): a client that missed our last
  // reply asks to resume it, and may.
  hub.updateDeviceConfig(spid, { syncml: { ...conf, anchors } });
}
