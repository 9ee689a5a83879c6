// The SyncPoint a SyncML session puts online for its run: the client's Sync package is what
// retrieve() returns, the hub's push becomes our Sync package.
import type { Spid } from '../../core/types';
import type { PushOp, PushResult, Retrieved, SyncPoint } from '../../hub/sync-point';
import type { Deferred } from './deferred';

/** What the point needs of its session (session.ts `Session`). */
export interface PointSession {
  readonly spid: Spid;
  /** Settles when the client's Final arrived (or the link is lost). */
  readonly retrieved: Deferred<Retrieved>;
  /** Settles when the hub calls push() or finish(), or its run ends without either. */
  readonly pushReady: Deferred<void>;
  startPush(ops: readonly PushOp[], onAcks: (r: PushResult[]) => void): Promise<void>;
}

export class SyncmlPoint implements SyncPoint {
  readonly changeTracking = 'log' as const;
  readonly capacity = {};
  constructor(private readonly session: PointSession) {}
  get spid(): Spid {
    return this.session.spid;
  }
  retrieve(): Promise<Retrieved> {
    return this.session.retrieved.promise;
  }
  push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    return this.session.startPush(ops, onAcks);
  }
  async finish(_pushCompleted: boolean): Promise<void> {
    // Nothing to push (or the hub is done pushing): the reply waiting for it may go.
    this.session.pushReady.resolve();
  }
}
