// Resume persistence: what a session received, kept so that the client may resume the
// session (Alert 225) after it died instead of starting over.
import fs from 'node:fs';
import path from 'node:path';
import type { Spid } from '../../core/types';
import type { DeviceRecord } from '../../hub/types';
import type { Resumable, SyncMode } from './alerts';
import type { SyncmlHub } from './device-config';

/** What a session received before it died. This description lives in the DSS
 *  (`config.syncmlResume` of the device); the records themselves (ResumeEntry) are appended,
 *  before each reply that acknowledges them, to a file in the server's `stateDir` (and held
 *  in memory), so the cost stays linear in what the client sends. One per device: a new
 *  session that does not resume replaces it. */
export interface KeptSession {
  /** SyncHdr/Source of the client. */
  deviceId: string;
  /** Our canonical database name (the anchor key). */
  db: string;
  /** The Last anchor the client alerted in the interrupted session ('' for none). */
  last: string;
  /** The interrupted session's sync mode, which a resume continues. */
  mode: SyncMode;
  /** Whether the resumed run reports the device as having lost its sync state. Once the
   *  interrupted run committed, the map it made is the hub's: a resume is a normal run. */
  lost: boolean;
  /** Session token of the session that wrote it (names its records). */
  token: string;
  /** Records were received (and acknowledged) and not yet committed by a run: a resume is
   *  possible only with them. */
  received: boolean;
}

/** How the client reported a record: a change of a two-way (or one-way) sync, or an entry
 *  of a refresh-from-client listing. */
export type ReceivedKind = 'added' | 'updated' | 'deleted' | 'listed';

/** One thing a session received, in order: a record [kind, LUID, vCard text] (the text is
 *  '' for 'deleted'), or a Map item before the Final ['mapped', GUID, LUID], a late
 *  acknowledgement. */
export type ResumeEntry = [kind: ReceivedKind, luid: string, vcard: string] | [kind: 'mapped', guid: string, luid: string];

/** The one-letter kinds of the files written before the kinds had names. */
const OLD_KINDS: Record<string, ResumeEntry[0]> = { A: 'added', U: 'updated', D: 'deleted', L: 'listed', M: 'mapped' };

export function keptSessionOf(d: DeviceRecord | undefined): KeptSession | undefined {
  const k = d?.config?.syncmlResume as KeptSession | undefined;
  return k && typeof k.db === 'string' && typeof k.token === 'string' ? k : undefined;
}

export class ResumeLog {
  /** Session token → what that session received (see KeptSession). */
  private readonly mem = new Map<string, ResumeEntry[]>();

  /** `stateDir`: where the entries are written (created if missing). Without it they are
   *  kept in memory only: a resume after the hub's process restarted is refused (509, a
   *  normal sync) instead. */
  constructor(private readonly stateDir: string | undefined) {}

  /** Writes what a session has received since the last call (and its description, when
   *  it changed), before the reply that acknowledges it. */
  keep(hub: SyncmlHub, spid: Spid, meta: KeptSession, entries: readonly ResumeEntry[], metaChanged: boolean): void {
    if (!hub.device(spid)) return;
    if (entries.length && !meta.received) {
      meta.received = true;
      metaChanged = true;
    }
    if (metaChanged) {
      const old = keptSessionOf(hub.device(spid));
      if (old && old.token !== meta.token) this.drop(old.token);
      hub.updateDeviceConfig(spid, { syncmlResume: { ...meta } });
    }
    if (!entries.length) return;
    let mem = this.mem.get(meta.token);
    if (!mem) this.mem.set(meta.token, (mem = []));
    for (const e of entries) mem.push(e);
    const file = this.file(meta.token);
    if (file) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.appendFileSync(file, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      } catch {
        // The memory copy still serves a resume while this process lives.
      }
    }
  }

  /** What the device's interrupted session kept for database `anchorKey`, when the client
   *  `deviceId` may resume it with Last anchor `last`. */
  resumable(hub: SyncmlHub, spid: Spid, deviceId: string, anchorKey: string, last: string): Resumable<ResumeEntry> | null {
    const k = keptSessionOf(hub.device(spid));
    if (!k || k.db !== anchorKey || k.deviceId !== deviceId || k.last !== last) return null;
    const entries = this.entries(k);
    return entries ? { mode: k.mode, lost: k.lost, entries } : null;
  }

  /** What the kept session received; null when that is no longer known (a restart
   *  without a stateDir), so it cannot be resumed. */
  private entries(k: KeptSession): ResumeEntry[] | null {
    const mem = this.mem.get(k.token);
    if (mem) return mem;
    const file = this.file(k.token);
    if (file && fs.existsSync(file)) {
      const out: ResumeEntry[] = [];
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const [kind, a, b] = JSON.parse(line) as [string, string, string];
          out.push([OLD_KINDS[kind] ?? kind, a, b] as ResumeEntry);
        } catch {
          break; // a line cut short by a crash: its reply never left
        }
      }
      return out;
    }
    return k.received ? null : [];
  }

  private file(token: string): string | null {
    return this.stateDir && /^[0-9a-f]+$/.test(token) ? path.join(this.stateDir, `resume-${token}.jsonl`) : null;
  }

  private drop(token: string): void {
    this.mem.delete(token);
    const file = this.file(token);
    if (file) fs.rmSync(file, { force: true });
  }

  /** The run of session `token` committed what the client sent: a resume must not feed it
   *  in again, and the device's map is the hub's again. */
  committed(hub: SyncmlHub, spid: Spid, token: string): void {
    const k = keptSessionOf(hub.device(spid));
    if (k && k.token === token) {
      // A refresh-from-client listing is complete only with what the run took: a resume
      // of it continues as one-way from the client (still no writes to the client).
      const mode = k.mode === 'refresh-from-client' ? 'one-way-from-client' : k.mode;
      hub.updateDeviceConfig(spid, { syncmlResume: { ...k, mode, lost: false, received: false } });
    }
    this.drop(token);
  }
}
