// A phone read over Bluetooth PBAP as a read-only sync point (sync-method.md, "Read-only sync
// points"): a `snapshot` device with no write path. retrieve() pulls the whole phonebook
// (and the SIM's, where the phone offers one) through obexd and lists it; the hub derives
// the states against the bases it stored. The hub plans no actions for a read-only device;
// should any reach push(), each is refused as unsupported and stays with the hub.
//
// Nothing half-read is used: the pull either completes for every phonebook asked or the
// run sees the link lost (LinkLostError), before any record is listed.
import type { Capacity } from '../../core/projection';
import type { Spid } from '../../core/types';
import { LinkLostError, type ListedRecord, type PushOp, type PushResult, type Retrieved, type SkippedRecord, type SyncPoint } from '../../hub/sync-point';
import { readPhonebook } from './cards';
import { assignLuids, type IndexEntry } from './identity';

export type PbapLocation = 'int' | 'sim1';

/** What pulls one phone's phonebooks: obexd in the app, anything else in tests. Rejects
 *  with `{ cut: true }` when the link went (out of range) mid-pull. */
export interface PhonebookSource {
  pull(locations: readonly PbapLocation[]): Promise<{ location: PbapLocation; bytes: Uint8Array }[]>;
}

export interface PbapOptions {
  spid: Spid;
  source: PhonebookSource;
  /** The index kept in the device's config from the last pull (`config().index`). */
  index?: Record<string, IndexEntry[]>;
  /** Also read the SIM's phonebook where the phone offers one (default true). */
  sim?: boolean;
}

/** A phone shares what it holds; how much it can hold is not said over PBAP. */
export const PBAP_CAPACITY: Capacity = {};

export class PbapSyncPoint implements SyncPoint {
  readonly changeTracking = 'snapshot' as const;
  readonly readOnly = true;
  readonly capacity = PBAP_CAPACITY;
  readonly spid: Spid;
  private index: Record<string, IndexEntry[]>;
  private pulled: Record<string, IndexEntry[]> | null = null;
  private committedSinceSaved = false;
  /** Cards read by the last pull (for progress and logs). */
  cardsRead = 0;

  constructor(private readonly opts: PbapOptions) {
    this.spid = opts.spid;
    this.index = opts.index ?? {};
  }

  /** What the hub keeps in the device's config after a run that used this pull. */
  config(): Record<string, unknown> {
    return { index: this.index };
  }

  async retrieve(): Promise<Retrieved> {
    const locations: PbapLocation[] = this.opts.sim === false ? ['int'] : ['int', 'sim1'];
    let books: { location: PbapLocation; bytes: Uint8Array }[];
    try {
      books = await this.opts.source.pull(locations);
    } catch (e) {
      // A refusal is as much a failed read as a cut: either way nothing of it is used.
      throw new LinkLostError(`PBAP pull from ${this.spid} failed: ${(e as Error).message}`);
    }
    const listing: ListedRecord[] = [];
    const skipped: SkippedRecord[] = [];
    const next: Record<string, IndexEntry[]> = {};
    this.cardsRead = 0;
    for (const { location, bytes } of books) {
      const { cards, skipped: bad } = readPhonebook(bytes);
      this.cardsRead += cards.length;
      const { luids, index } = assignLuids(cards, this.index[location] ?? [], location);
      next[location] = index;
      cards.forEach((c, i) => listing.push({ luid: luids[i]!, data: c.contact }));
      for (const b of bad) skipped.push({ luid: null, reason: `${location} card ${b.index + 1}: ${b.reason}` });
    }
    this.pulled = next;
    return { changeTracking: 'snapshot', lostSyncState: false, listing, skipped };
  }

  push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    if (ops.length > 0) onAcks(ops.map((op) => ({ op, ok: false, error: { code: 'unsupported', message: 'A phone read over PBAP cannot be written.' } })));
    return Promise.resolve();
  }

  /** The hub committed the last listing (finish is called after the commit, whatever the
   *  push did): the index the next pull is matched against is this pull's. */
  finish(): Promise<void> {
    if (this.pulled) {
      this.index = this.pulled;
      this.pulled = null;
      this.committedSinceSaved = true;
    }
    return Promise.resolve();
  }

  /** Whether an index the config does not hold yet was committed (then save `config()`). */
  takeCommitted(): boolean {
    const c = this.committedSinceSaved;
    this.committedSinceSaved = false;
    return c;
  }
}
