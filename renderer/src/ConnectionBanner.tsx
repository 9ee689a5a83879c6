// The state of the link to the hub, in plain words with what to do: connecting, lost (trying
// again), the hub not running (the last lists stay on screen, read-only, and the page
// reconnects by itself once it runs again), or this page's access key refused.
import { useEffect, useState } from 'react';
import { client, type ConnectionState } from '../api';

export function ConnectionBanner() {
  const [conn, setConn] = useState<ConnectionState>('connecting');
  useEffect(() => client.onConnection(setConn), []);
  switch (conn) {
    case 'open':
      return null;
    case 'connecting':
      return (
        <div className="banner" role="status" data-connection={conn}>
          Connecting to the Concord hub…
        </div>
      );
    case 'closed':
      return (
        <div className="banner" role="alert" data-connection={conn}>
          The connection to the Concord hub was lost. Trying again…
        </div>
      );
    case 'stopped':
      return (
        <div className="banner error" role="alert" data-connection={conn}>
          <strong>The Concord hub is not running.</strong> What you see is what it last sent, read-only: nothing can be changed until it runs again. Start it
          (<code>concord serve</code>, or <code>npm run hub</code> for the demo) and this page reconnects by itself.
        </div>
      );
    case 'unauthorized':
      return (
        <div className="banner error" role="alert" data-connection={conn}>
          <strong>This page&apos;s access key is wrong or out of date</strong> (it comes from an old address, or the hub was given a new key). On the computer
          the hub runs on, run <code>concord open</code> to open Concord at its current address.
        </div>
      );
  }
}
