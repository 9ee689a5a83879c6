// The hub's own device information (OMA DS DevInf 1.2), sent in Results to a client's Get.
import { el, leaf, type XElem } from './tree';

const d = (tag: string, text: string | number) => leaf(tag, text, 'devinf');
const de = (tag: string, kids: XElem[]) => el(tag, kids, 'devinf');

export const DEVINF_TYPE = { xml: 'application/vnd.syncml-devinf+xml', wbxml: 'application/vnd.syncml-devinf+wbxml' };

export function serverDevInf(version: '1.1' | '1.2', dbName: string): XElem {
  return de('DevInf', [
    d('VerDTD', version),
    d('Man', 'Concord'),
    d('Mod', 'Concord hub'),
    d('OEM', 'Concord'),
    d('FwV', '1'),
    d('SwV', '0.1.0'),
    d('HwV', '1'),
    d('DevID', 'concord-hub'),
    d('DevTyp', 'server'),
    de('UTC', []),
    de('SupportLargeObjs', []),
    de('SupportNumberOfChanges', []),
    de('DataStore', [
      d('SourceRef', dbName),
      d('DisplayName', 'Contacts'),
      d('MaxGUIDSize', 64),
      de('Rx-Pref', [d('CTType', 'text/vcard'), d('VerCT', '3.0')]),
      de('Rx', [d('CTType', 'text/x-vcard'), d('VerCT', '2.1')]),
      de('Tx-Pref', [d('CTType', 'text/vcard'), d('VerCT', '3.0')]),
      de('Tx', [d('CTType', 'text/x-vcard'), d('VerCT', '2.1')]),
      // Two-way, slow, one-way and refresh both ways; no server-alerted sync (7).
      de('SyncCap', [1, 2, 3, 4, 5, 6].map((t) => d('SyncType', t))),
    ]),
  ]);
}
