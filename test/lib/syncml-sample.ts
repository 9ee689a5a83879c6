// The sample SyncML message of the codec test and the SyncML fuzz targets: one message that
// touches every command kind the model reads (Status with a challenge, Alert with anchors,
// Sync with Add, Replace and Delete, Map, Results with DevInf).
import { serverDevInf } from '../../main/devices/syncml/devinf';
import { anchorTree, type Message } from '../../main/devices/syncml/model';

export function sampleMessage(): Message {
  return {
    hdr: {
      verDTD: '1.2',
      verProto: 'SyncML/1.2',
      sessionId: '42',
      msgId: '3',
      target: 'phone-1',
      source: 'http://hub/syncml',
      respUri: 'http://hub/syncml?s=abc',
      meta: { maxMsgSize: 150000 },
    },
    body: [
      { kind: 'Status', cmdId: '1', msgRef: '2', cmdRef: '0', cmd: 'SyncHdr', targetRef: 'a', sourceRef: 'b', data: 212, chal: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'bm9uY2U=' } },
      { kind: 'Status', cmdId: '2', msgRef: '2', cmdRef: '5', cmd: 'Alert', data: 200, items: [{ dataTree: anchorTree({ next: '20260101T000000Z' }) }] },
      { kind: 'Alert', cmdId: '3', data: 201, items: [{ target: './contacts', source: 'addressbook', meta: { anchor: { last: '1', next: '2' } } }] },
      {
        kind: 'Sync',
        cmdId: '4',
        target: './contacts',
        source: 'addressbook',
        numberOfChanges: 2,
        commands: [
          { kind: 'Add', cmdId: '5', meta: { type: 'text/vcard' }, items: [{ source: 'g1', data: 'BEGIN:VCARD\r\nFN:Zoë <&> "Ω"\r\nEND:VCARD\r\n' }] },
          { kind: 'Replace', cmdId: '6', meta: { type: 'text/x-vcard' }, items: [{ source: 'g3', data: 'BEGIN:VCARD\r\nVERSION:2.1\r\nN:A;B\r\nEND:VCARD\r\n' }] },
          { kind: 'Delete', cmdId: '7', items: [{ target: '17', source: 'g2' }] },
        ],
      },
      { kind: 'Map', cmdId: '8', target: 'a', source: 'b', items: [{ target: 'g1', source: '99' }] },
      { kind: 'Results', cmdId: '9', msgRef: '1', cmdRef: '2', meta: { type: 'application/vnd.syncml-devinf+wbxml' }, items: [{ source: './devinf12', dataTree: serverDevInf('1.2', 'addressbook') }] },
    ],
    final: true,
  };
}

