// The server thread's view of the hub (server-worker.ts): the same ApiLike surface as the
// in-process Api, so ws-server.ts cannot tell the difference; the hub is on the other side
// of a message port (host-port.ts).
//
// What keeps the UI answered while the hub's thread is busy with a sync's CPU phases
// (planning, commits: up to seconds at 10,000 changes):
// - the contacts list and search are answered here, from a ContactIndex over a copy of the
//   truth the hub sends after each change of the contacts (during a run the truth changes
//   only when the run ends, so searching never waits for the run);
// - read requests are cached until the event that says their data changed arrives (the UI
//   reloads on those same events, so it never sees older data than it would otherwise);
// - every other request goes to the hub.
import { REQUEST_NAMES, type EventName, type Events, type HubChangeKind, type RequestName, type Result } from '../api/contract';
import { errorResult, validateArgs, type AnyListener, type ApiLike } from '../api/handlers';
import { ContactIndex } from '../api/search';
import { BadRequest } from '../api/validate';
import type { ContactRow, SyncProgress } from '../hub/types';
import type { MessagePortLike, ToHub, ToServer } from './host-port';

type Kind = HubChangeKind | 'run' | 'progress' | 'discovered';

/** Read requests answered from the cache, and what invalidates them. */
const READS: Partial<Record<RequestName, Kind[]>> = {
  // `running` is kept up to date from the run events (receive()).
  'app:info': ['settings'],
  'contacts:get': ['contacts'],
  // The hub says 'devices' changed on attach, detach, pairing and at the end of every run;
  // in between, a run's acknowledgements move the pending counts, which the list shows as
  // they were before the run until it ends (the UI reloads it only on 'devices' anyway).
  'devices:list': ['devices'],
  'devices:pending': ['devices', 'run', 'progress', 'contacts'],
  'devices:discovered': ['discovered', 'devices'],
  'conflicts:list': ['conflicts', 'run'],
  'sync:history': ['history', 'run'],
};
const MAX_CACHED = 200;
type Answer = Extract<ToServer, { type: 'reply' | 'contacts' }>;

export class RemoteApi implements ApiLike {
  private readonly listeners = new Set<AnyListener>();
  private readonly waiting = new Map<number, (m: Answer) => void>();
  private nextId = 1;
  private readonly cache = new Map<string, { kinds: Kind[]; result: Result<unknown> }>();
  /** Reads on their way to the hub: the same read asked again waits for the same answer. */
  private readonly inFlight = new Map<string, Promise<Result<unknown>>>();
  /** Bumped on every invalidation, so a reply computed before it is not cached after it. */
  private generation = 0;
  private readonly index: ContactIndex;
  private rows: ContactRow[] = [];
  private rowsFresh: Promise<void> | null = null;
  private closed = false;
  private readonly onMessage = (m: unknown) => this.receive(m as ToServer);

  constructor(
    private readonly port: MessagePortLike,
    private readonly log: (line: string) => void = console.error,
  ) {
    this.index = new ContactIndex(() => this.rows);
    port.on('message', this.onMessage);
    this.refreshContacts();
  }

  /** The hub is gone: every waiting and later request is answered 'closed'. */
  dispose(): void {
    this.closed = true;
    this.port.off('message', this.onMessage);
    for (const [, done] of this.waiting) done({ type: 'reply', id: 0, result: errorResult('closed', 'The hub stopped.') });
    this.waiting.clear();
  }

  on(listener: AnyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async call(channel: unknown, args: unknown): Promise<Result<unknown>> {
    if (typeof channel !== 'string' || !(REQUEST_NAMES as string[]).includes(channel)) {
      return errorResult('unknown-channel', `There is no request named ${JSON.stringify(channel)}.`);
    }
    const name = channel as RequestName;
    if (name === 'contacts:list') return this.list(args);
    const kinds = READS[name];
    const key = kinds ? `${name}\u0000${JSON.stringify(args ?? {})}` : '';
    if (!kinds) {
      this.invalidate(null); // a write: whatever it touched is read again
      const result = await this.forward(name, args);
      this.invalidate(null);
      return result;
    }
    const hit = this.cache.get(key);
    if (hit) return hit.result;
    const gen = this.generation;
    const flying = this.inFlight.get(key);
    if (flying) return flying;
    const p = this.forward(name, args).then((result) => {
      if (this.inFlight.get(key) === p) this.inFlight.delete(key);
      if (result.ok && gen === this.generation) {
        if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(key, { kinds, result });
      }
      return result;
    });
    this.inFlight.set(key, p);
    return p;
  }

  private async forward(name: RequestName, args: unknown): Promise<Result<unknown>> {
    const m = await this.send({ type: 'call', id: 0, channel: name, args });
    return (m.type === 'reply' ? m.result : errorResult('internal', 'Unexpected answer from the hub.')) as Result<unknown>;
  }

  // ---------------------------------------------------------------------------------------

  private async list(args: unknown): Promise<Result<unknown>> {
    let a;
    try {
      a = validateArgs('contacts:list', args);
    } catch (e) {
      if (e instanceof BadRequest) return errorResult('bad-request', `contacts:list: ${e.message}.`);
      throw e;
    }
    while (this.rowsFresh) await this.rowsFresh;
    if (this.closed) return errorResult('closed', 'The hub stopped.');
    return { ok: true, value: this.index.page(a.offset, a.limit, a.query) };
  }

  /** Fetches the truth after a change of the contacts; list requests wait for it. */
  private refreshContacts(): void {
    const job = this.send({ type: 'contacts', id: 0 }).then((m) => {
      if (m.type === 'contacts') {
        this.rows = m.rows;
        this.index.invalidate();
      }
    });
    const mine = job.finally(() => {
      if (this.rowsFresh === mine) this.rowsFresh = null;
    });
    this.rowsFresh = mine;
  }

  private send(m: Extract<ToHub, { type: 'call' | 'contacts' }>): Promise<Answer> {
    if (this.closed) return Promise.resolve({ type: 'reply', id: 0, result: errorResult('closed', 'The hub stopped.') });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.port.postMessage({ ...m, id } satisfies ToHub);
    });
  }

  private invalidate(kind: Kind | null): void {
    this.generation++;
    for (const [k, v] of this.cache) if (kind === null || v.kinds.includes(kind)) this.cache.delete(k);
    for (const [k] of this.inFlight) if (kind === null || READS[k.slice(0, k.indexOf('\u0000')) as RequestName]?.includes(kind)) this.inFlight.delete(k);
  }

  /** app:info's `running` follows the run events, so asking it never waits for the hub. */
  private setRunning(running: boolean): void {
    for (const [k, v] of this.cache) {
      if (!k.startsWith('app:info\u0000') || !v.result.ok) continue;
      v.result = { ok: true, value: { ...(v.result.value as object), running } };
    }
  }

  private receive(m: ToServer): void {
    switch (m.type) {
      case 'reply':
      case 'contacts': {
        const done = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        done?.(m);
        return;
      }
      case 'event': {
        const event = m.event as EventName;
        if (event === 'hub:changed') {
          const kind = m.payload as HubChangeKind;
          this.invalidate(kind);
          if (kind === 'contacts') this.refreshContacts();
        } else if (event === 'sync:progress') {
          const p = m.payload as SyncProgress;
          if (p.type === 'run-started' || p.type === 'run-finished' || p.type === 'run-failed') {
            this.invalidate('run');
            this.setRunning(p.type === 'run-started');
          }
          else if (p.type === 'committed' || p.type === 'device-done' || p.type === 'device-retrieved') this.invalidate('progress');
        } else if (event === 'devices:discovered') this.invalidate('discovered');
        for (const l of this.listeners) {
          try {
            l(event, m.payload as Events[typeof event]);
          } catch (e) {
            this.log(`concord: event listener failed: ${(e as Error).message}`);
          }
        }
        return;
      }
      case 'shutdown':
        return;
    }
  }
}
