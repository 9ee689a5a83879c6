// "Undo this sync…" for an Activity entry: a preview of what will change on which device and
// what is left alone because it changed since, then one batch of edits (sync-method.md,
// "Undo a run"). On a run that carried out an undo it reads "Undo this undo…": the same
// preview, and the contacts go back to how they were before the first undo.
import { useEffect, useRef, useState } from 'react';
import type { UndoPreview } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useDevices } from '../hooks';
import { plural } from '../words';

const VERB = { add: 'Add back', delete: 'Delete', update: 'Change back' } as const;

export function UndoSync({ runId, undo = false }: { runId: number; /** the run carried out an undo */ undo?: boolean }) {
  const what = undo ? 'undo' : 'sync';
  const [preview, setPreview] = useState<UndoPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = async () => {
    setError(null);
    try {
      setPreview(await request('runs:undoPreview', { runId }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <>
      <button type="button" className="link-button" onClick={open} data-testid="undo-sync">
        Undo this {what}…
      </button>
      {error && <span className="error-text small"> {error}</span>}
      {preview && <UndoDialog preview={preview} what={what} onClose={() => setPreview(null)} />}
    </>
  );
}

function UndoDialog({ preview, what, onClose }: { preview: UndoPreview; what: 'sync' | 'undo'; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const devices = useDevices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const name = (spid: string) => devices.find((d) => d.spid === spid)?.name ?? spid;
  const undo = async () => {
    setBusy(true);
    try {
      const done = await request('runs:undo', { runId: preview.runId });
      announce(`${what === 'undo' ? 'Undo' : 'Sync'} undone: ${plural(done.changes.length, 'change')}.`);
      ref.current?.close();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={`undo-title-${preview.runId}`} onClose={onClose} data-testid="undo-dialog">
      <h3 id={`undo-title-${preview.runId}`}>Undo this {what}</h3>
      {preview.undoneAt !== null && <p className="muted">This {what} was undone before.</p>}
      {preview.changes.length === 0 ? (
        <p>Nothing to undo: {preview.leftAlone.length > 0 ? `everything this ${what} changed has changed again since.` : `this ${what} changed no contact.`}</p>
      ) : (
        <>
          <p data-testid="undo-summary">
            {plural(preview.changes.length, 'contact')} will be set back to how {preview.changes.length === 1 ? 'it was' : 'they were'} before this {what}, on every device.
          </p>
          <ul className="plain">
            {preview.changes.map((c) => (
              <li key={`${c.edit}${c.guid}`}>
                {VERB[c.edit]} <strong>{c.name}</strong>
                {c.devices.length > 0 && <span className="muted"> — on {c.devices.map(name).join(', ')}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {preview.leftAlone.length > 0 && (
        <>
          <h4>Left as they are (changed since)</h4>
          <ul className="plain">
            {preview.leftAlone.map((l) => (
              <li key={l.guid}>
                {l.name} <span className="muted">— {l.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {error && <p className="error-text">{error}</p>}
      <div className="toolbar">
        <button type="button" onClick={() => ref.current?.close()}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={busy || preview.changes.length === 0} onClick={undo}>
          Undo this {what}
        </button>
      </div>
    </dialog>
  );
}
