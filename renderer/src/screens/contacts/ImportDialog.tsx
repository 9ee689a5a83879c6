// The preview of a vCard import: what each card would do, with a tick box per card.
import { useEffect, useRef, useState } from 'react';
import type { ImportPreview } from '../../../../main/api/contract';

export function ImportDialog({ file, preview, onImport, onClose }: { file: string; preview: ImportPreview; onImport: (skip: number[]) => Promise<void>; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [unticked, setUnticked] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const doing = preview.items.filter((i) => i.action !== 'skip' && !unticked.has(i.index)).length;
  const label = { add: 'Add', update: 'Update', skip: 'Skip (duplicate)' } as const;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="import-title" onClose={onClose}>
      <h3 id="import-title">Import {file}</h3>
      <p data-testid="import-summary">
        {preview.counts.add} to add, {preview.counts.update} to update, {preview.counts.skip} to skip as duplicates. Nothing is written until you choose Import. An import never removes or overwrites what a contact already has.
      </p>
      {preview.errors.length > 0 && (
        <ul className="error-text">
          {preview.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Import</th>
              <th scope="col">Contact</th>
              <th scope="col">What happens</th>
            </tr>
          </thead>
          <tbody>
            {preview.items.map((it) => (
              <tr key={it.index} className={`import-${it.action}`} data-action={it.action}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Import ${it.name}`}
                    disabled={it.action === 'skip'}
                    checked={it.action !== 'skip' && !unticked.has(it.index)}
                    onChange={(e) => {
                      const next = new Set(unticked);
                      if (e.target.checked) next.delete(it.index);
                      else next.add(it.index);
                      setUnticked(next);
                    }}
                  />
                </td>
                <td>{it.name}</td>
                <td>
                  <strong>{label[it.action]}</strong> — {it.reason}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {error && <p role="alert" className="error-text">{error}</p>}
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          disabled={busy || doing === 0}
          onClick={async () => {
            setBusy(true);
            try {
              await onImport([...unticked]);
            } catch (e) {
              setError((e as Error).message);
              setBusy(false);
            }
          }}
        >
          Import {doing} {doing === 1 ? 'contact' : 'contacts'}
        </button>
        <button type="button" onClick={() => ref.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
