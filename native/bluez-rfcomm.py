#!/usr/bin/python3
# Serial port profiles for Concord, without root: registers a BlueZ profile
# (ProfileManager1.RegisterProfile) and receives the RFCOMM socket BlueZ hands over when
# the profile connects (Profile1.NewConnection, a file descriptor over D-Bus). Node's
# D-Bus library cannot receive a descriptor (that needs a native module), so this small
# process does, and relays the channel's bytes to a private unix socket Concord connects to.
# When either side closes, both are closed: the channel closing is a cut link.
#
# Speaks JSON lines on stdin/stdout:
#   in:  {"op": "register", "uuid": U}
#   out: {"op": "registered", "uuid": U} | {"op": "error", "uuid": U, "message": M}
#        {"op": "connection", "device": PATH, "uuid": U, "socket": SOCKET_PATH}
#        {"op": "closed", "device": PATH}
# It exits when stdin closes (Concord went away). Needs python3-dbus and python3-gi.
import json
import os
import socket
import sys
import tempfile

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

PROFILE_IFACE = 'org.bluez.Profile1'


def send(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


class Relay:
    '''One RFCOMM channel relayed to one unix socket connection.'''

    def __init__(self, device, uuid, fd, directory, on_close):
        self.device = device
        self.channel = socket.socket(fileno=fd)
        self.channel.setblocking(True)
        self.path = os.path.join(directory, 'c%d.sock' % fd)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        os.chmod(self.path, 0o600)
        self.listener.listen(1)
        self.peer = None
        self.closed = False
        self.on_close = on_close
        self.watches = [GLib.io_add_watch(self.listener.fileno(), GLib.IO_IN, self.accept)]
        self.pending = b''
        self.watches.append(GLib.io_add_watch(self.channel.fileno(), GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, self.from_channel))
        send({'op': 'connection', 'device': device, 'uuid': uuid, 'socket': self.path})

    def accept(self, _fd, _cond):
        self.peer, _ = self.listener.accept()
        self.peer.setblocking(True)
        self.listener.close()
        os.unlink(self.path)
        if self.pending:
            self.peer.sendall(self.pending)
            self.pending = b''
        self.watches.append(GLib.io_add_watch(self.peer.fileno(), GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, self.from_peer))
        return False

    def from_channel(self, _fd, _cond):
        return self.relay(self.channel, self.to_peer)

    def from_peer(self, _fd, _cond):
        return self.relay(self.peer, self.channel.sendall)

    def to_peer(self, data):
        '''Bytes from the phone before Concord connected wait for it.'''
        if self.peer:
            self.peer.sendall(data)
        else:
            self.pending += data

    def relay(self, source, deliver):
        '''Moves what `source` has to `deliver`; either side gone closes both (a cut link).'''
        try:
            data = source.recv(4096)
        except OSError:
            data = b''
        if not data:
            self.close()
            return False
        try:
            deliver(data)
        except OSError:
            self.close()
            return False
        return True

    def close(self):
        if self.closed:
            return
        self.closed = True
        for w in self.watches:
            if GLib.MainContext.default().find_source_by_id(w):
                GLib.source_remove(w)
        for s in (self.channel, self.peer, self.listener):
            try:
                if s:
                    s.close()
            except OSError:
                pass
        if os.path.exists(self.path):
            os.unlink(self.path)
        send({'op': 'closed', 'device': self.device})
        self.on_close(self)


class Profile(dbus.service.Object):
    def __init__(self, bus, path, uuid, directory):
        super().__init__(bus, path)
        self.uuid = uuid
        self.directory = directory
        self.relays = {}

    @dbus.service.method(PROFILE_IFACE, in_signature='', out_signature='')
    def Release(self):
        pass

    @dbus.service.method(PROFILE_IFACE, in_signature='oha{sv}', out_signature='')
    def NewConnection(self, device, fd, _props):
        old = self.relays.pop(str(device), None)
        if old:
            old.close()
        self.relays[str(device)] = Relay(str(device), self.uuid, fd.take(), self.directory, self.forget)

    @dbus.service.method(PROFILE_IFACE, in_signature='o', out_signature='')
    def RequestDisconnection(self, device):
        relay = self.relays.pop(str(device), None)
        if relay:
            relay.close()

    def forget(self, relay):
        if self.relays.get(relay.device) is relay:
            del self.relays[relay.device]


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    address = os.environ.get('CONCORD_SYSTEM_BUS') or os.environ.get('DBUS_SYSTEM_BUS_ADDRESS')
    bus = dbus.bus.BusConnection(address) if address else dbus.SystemBus()
    directory = tempfile.mkdtemp(prefix='concord-rfcomm-')
    os.chmod(directory, 0o700)
    manager = dbus.Interface(bus.get_object('org.bluez', '/org/bluez'), 'org.bluez.ProfileManager1')
    profiles = {}
    loop = GLib.MainLoop()

    buffered = [b'']

    def on_input(fd, _cond):
        chunk = os.read(fd, 4096)
        if not chunk:
            loop.quit()
            return False
        buffered[0] += chunk
        while b'\n' in buffered[0]:
            line, buffered[0] = buffered[0].split(b'\n', 1)
            try:
                handle(json.loads(line))
            except ValueError:
                pass
        return True

    def handle(msg):
        if msg.get('op') == 'register':
            uuid = str(msg['uuid']).lower()
            if uuid in profiles:
                send({'op': 'registered', 'uuid': uuid})
                return
            path = '/org/concord/profile/' + uuid.replace('-', '_')
            profile = Profile(bus, path, uuid, directory)
            try:
                manager.RegisterProfile(path, uuid, {'Name': 'Concord', 'Role': 'client', 'AutoConnect': dbus.Boolean(False)})
            except dbus.exceptions.DBusException as e:
                profile.remove_from_connection()
                send({'op': 'error', 'uuid': uuid, 'message': e.get_dbus_message() or str(e)})
                return
            profiles[uuid] = profile
            send({'op': 'registered', 'uuid': uuid})

    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, on_input)
    send({'op': 'ready'})
    try:
        loop.run()
    finally:
        for uuid, profile in profiles.items():
            for relay in list(profile.relays.values()):
                relay.close()
            try:
                manager.UnregisterProfile(profile.__dbus_object_path__)
            except dbus.exceptions.DBusException:
                pass
        try:
            os.rmdir(directory)
        except OSError:
            pass


if __name__ == '__main__':
    main()
