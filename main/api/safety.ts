// The safety net's requests (sync-method.md, "The safety net"): undo a run, recently
// deleted, a contact's history, held mass deletions. Arguments are validated in
// handlers.ts with every other request; these only call the hub.
import type { Hub } from '../hub/hub';
import type { ArgsOf, ResultOf } from './contract';

type SafetyRequest = 'runs:undoPreview' | 'runs:undo' | 'contacts:deleted' | 'contacts:restore' | 'contacts:history' | 'holds:list' | 'holds:approve' | 'holds:keep';

export function safetyHandlers(hub: Hub): { [K in SafetyRequest]: (args: ArgsOf<K>) => ResultOf<K> } {
  return {
    'runs:undoPreview': ({ runId }) => hub.undoPreview(runId),
    'runs:undo': ({ runId }) => hub.undoRun(runId),
    'contacts:deleted': () => hub.recentlyDeleted(),
    'contacts:restore': ({ guid }) => ({ queued: hub.restoreContact(guid) }),
    'contacts:history': ({ guid }) => hub.contactHistory(guid),
    'holds:list': () => hub.holds(),
    'holds:approve': ({ spid }) => ({ count: hub.approveHolds(spid) }),
    'holds:keep': ({ spid }) => ({ count: hub.keepHolds(spid) }),
  };
}
