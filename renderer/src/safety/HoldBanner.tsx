// The banner of held mass deletions (sync-method.md, "Held mass deletions"): "Your phone
// deleted 212 contacts. Nothing was deleted elsewhere." with the user's two answers.
import { useState } from 'react';
import type { HeldDevice } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useDevices, useHub } from '../hooks';
import { plural } from '../words';
import './safety.css';

export function HoldBanner() {
  const { value: holds, reload } = useHub('holds:list', {}, ['contacts', 'devices', 'history']);
  const devices = useDevices();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!holds || holds.length === 0) return null;
  const answer = async (h: HeldDevice, how: 'approve' | 'keep', name: string) => {
    setBusy(h.spid);
    setError(null);
    try {
      const { count } = await request(how === 'approve' ? 'holds:approve' : 'holds:keep', { spid: h.spid });
      announce(how === 'approve' ? `${plural(count, 'contact')} will be deleted everywhere.` : `${name} gets ${plural(count, 'contact')} back at its next sync.`);
      reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      {holds.map((h) => {
        const name = devices.find((d) => d.spid === h.spid)?.name ?? h.spid;
        return (
          <div key={h.spid} className="banner warn hold-banner" role="alert" data-testid="hold-banner" data-spid={h.spid}>
            <p>
              <strong>
                Your {name} deleted {plural(h.count, 'contact')}.
              </strong>{' '}
              {h.approved ? 'They will be deleted everywhere at the next sync.' : 'Nothing was deleted elsewhere.'}
            </p>
            {!h.approved && (
              <div className="toolbar">
                <button type="button" className="danger" disabled={busy !== null} onClick={() => answer(h, 'approve', name)}>
                  Delete them everywhere
                </button>
                <button type="button" className="primary" disabled={busy !== null} onClick={() => answer(h, 'keep', name)}>
                  Keep them
                </button>
              </div>
            )}
            {error && <p className="error-text">{error}</p>}
          </div>
        );
      })}
    </>
  );
}
