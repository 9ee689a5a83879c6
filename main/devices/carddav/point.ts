// A CardDAV account's address book as a sync point: a `log` device always online
// (sync-method.md, "CardDAV accounts"). Its reported changes are what its clients PUT and
// DELETEd since the last run that completed for it; a push writes the book in the same
// transaction as the acknowledgements, so a crash leaves both or neither.
import { createHash } from 'node:crypto';
import { equalContacts, normalizeContact, type Contact } from '../../core/contact';
import type { ReportedRecord, Spid } from '../../core/types';
import { parseVCard, writeVCard, type VCardVersion } from '../../core/vcard';
import type { CarddavStore } from '../../dss/carddav-store';
import { mergeCard, revValue } from './merge';
import type { PushOp, PushResult, Retrieved, SkippedRecord, SyncPoint } from '../../hub/sync-point';

/** A strong ETag: the card's bytes decide it. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** Pushes are written and acknowledged in transactions of this many operations. */
const PUSH_BATCH = 500;

export interface PointEnv {
  store: CarddavStore;
  region(): string;
  /** The vCard version the hub writes a new card in (the account's clients' own). */
  version(): VCardVersion;
  /** The clock, for a contact whose change time the truth does not say (default Date.now). */
  now?(): number;
}

export class CarddavPoint implements SyncPoint {
  readonly changeTracking = 'log' as const;
  readonly capacity = {};
  private retrievedSeq = 0;

  constructor(
    readonly spid: Spid,
    private readonly env: PointEnv,
  ) {}

  async retrieve(): Promise<Retrieved> {
    const { store } = this.env;
    const records: ReportedRecord[] = [];
    const skipped: SkippedRecord[] = [];
    const rows = store.changes(this.spid);
    let seq = 0;
    for (const row of rows) {
      seq = Math.max(seq, row.seq);
      if (row.state === 'DELETED') {
        records.push({ luid: row.href, state: 'DELETED' });
        continue;
      }
      const card = store.card(this.spid, row.href);
      if (!card?.body) continue;
      try {
        records.push({ luid: row.href, state: row.state, data: parseVCard(card.body).contact });
      } catch (e) {
        skipped.push({ luid: row.href, reason: (e as Error).message });
      }
    }
    store.markSeen(this.spid, seq);
    this.retrievedSeq = seq;
    return { changeTracking: 'log', lostSyncState: false, records, lateAcks: [], skipped };
  }

  async push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    const { store } = this.env;
    for (let i = 0; i < ops.length; i += PUSH_BATCH) {
      const batch = ops.slice(i, i + PUSH_BATCH);
      store.db.transaction(() => {
        const revision = store.bump(this.spid);
        onAcks(batch.map((op) => this.apply(op, revision)));
      })();
      // Let client requests in between batches.
      await new Promise((r) => setImmediate(r));
    }
  }

  private apply(op: PushOp, revision: number): PushResult {
    const { store } = this.env;
    const href = op.luid ?? `${op.guid}.vcf`;
    const change = store.change(this.spid, href);
    // A client changed the card after this run read the book: the client's change is
    // reconciled by the next run; the action waits.
    if (change && !change.seen) return { op, ok: false, error: { code: 'busy', message: 'a client changed this card since the run read the book' } };
    const card = store.card(this.spid, href);
    if (op.action === 'DELETE') {
      if (card?.body) store.putCard(this.spid, href, card.etag, null, revision, false, this.env.now?.());
      return { op, ok: true, luid: href };
    }
    const data = op.data as Contact;
    let uid = op.guid;
    let version = this.env.version();
    let old: string | null = null;
    let clientRev: string | undefined;
    if (card?.body) {
      try {
        const parsed = parseVCard(card.body);
        // Formatting is not a difference: a card whose data is the truth's is left as the
        // client wrote it, byte for byte.
        if (equalContacts(normalizeContact(parsed.contact, this.env.region()), data)) return { op, ok: true, luid: href };
        uid = parsed.uid ?? uid;
        clientRev = parsed.rev;
        version = parsed.version === '4.0' ? '4.0' : '3.0';
        old = card.body;
      } catch {
        // an unreadable card is replaced by the truth's
      }
    }
    // The card the hub writes says when its data changed: REV is the time the truth took
    // this contact's data (the run's commit), in UTC. A card the hub leaves alone (above)
    // keeps the client's REV byte for byte.
    const rev = revValue(store.truthChangedAt(op.guid) ?? this.env.now?.() ?? Date.now(), version, clientRev);
    const written = writeVCard(data, version, { uid, rev, lineEnding: '\r\n' });
    const body = (old !== null ? mergeCard(old, written, version, this.env.region(), data, rev) : null) ?? written;
    store.putCard(this.spid, href, etagOf(body), body, revision, false);
    return { op, ok: true, luid: href };
  }

  async finish(pushCompleted: boolean): Promise<void> {
    // The changes the run read are reconciled: forget them. (A change made since has a
    // higher seq and stays.)
    if (pushCompleted) this.env.store.forgetChanges(this.spid, this.retrievedSeq);
  }
}
