// The banner of held mass deletions (sync-method.md, "Held mass deletions"): "Your phone
// deleted 212 contacts. Nothing was deleted elsewhere." with the user's two answers. The
// words come from the hub (holdWords), the same the desktop notification uses; in the
// browser UI a new hold is also notified, once, when the user allowed it.
import { useEffect, useState } from 'react';
import type { HoldView } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useHub } from '../hooks';
import { plural } from '../words';
import { allowNotifications, notifyNewHolds, useNotifyState } from './notify';
import './safety.css';

export function HoldBanner() {
  const { value: holds, reload } = useHub('holds:list', {}, ['contacts', 'devices', 'history']);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notify, setNotify] = useNotifyState();
  useEffect(() => {
    if (holds) notifyNewHolds(holds);
  }, [holds, notify]);
  if (!holds || holds.length === 0) return null;
  const answer = async (h: HoldView, how: 'approve' | 'keep') => {
    setBusy(h.spid);
    setError(null);
    try {
      const { count } = await request(how === 'approve' ? 'holds:approve' : 'holds:keep', { spid: h.spid });
      announce(how === 'approve' ? `${plural(count, 'contact')} will be deleted everywhere.` : `${h.name} gets ${plural(count, 'contact')} back at its next sync.`);
      reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      {holds.map((h) => (
        <div key={h.spid} className="banner warn hold-banner" role="alert" tabIndex={-1} data-testid="hold-banner" data-spid={h.spid}>
          <p>
            <strong>{h.headline}</strong> {h.detail}
          </p>
          {!h.approved && (
            <div className="toolbar">
              <button type="button" className="danger" disabled={busy !== null} onClick={() => answer(h, 'approve')}>
                Delete them everywhere
              </button>
              <button type="button" className="primary" disabled={busy !== null} onClick={() => answer(h, 'keep')}>
                Keep them
              </button>
              {notify === 'default' && (
                <button type="button" className="link-button" onClick={async () => setNotify(await allowNotifications(holds))}>
                  Notify me next time
                </button>
              )}
            </div>
          )}
          {error && <p className="error-text">{error}</p>}
        </div>
      ))}
    </>
  );
}
