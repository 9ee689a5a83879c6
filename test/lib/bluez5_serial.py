'''bluez5 with serial port profiles that really connect (a test template for python-dbusmock)

The bluez5 template accepts ProfileManager1.RegisterProfile and Device1.ConnectProfile but
does nothing with them. Real BlueZ answers ConnectProfile by opening the RFCOMM channel and
calling the registering client's Profile1.NewConnection with the socket. This template does
the same with a unix stream socket connected to the test's listener (parameter
`serial_socket`), where the test serves the AT handset simulator: Concord receives one end
of a connected socket pair, as it would an RFCOMM socket.
'''
import socket

import dbus
from gi.repository import GLib

from dbusmock.templates import bluez5
from dbusmock.templates.bluez5 import *  # noqa: F401,F403  BUS_NAME, MAIN_OBJ, SYSTEM_BUS, IS_OBJECT_MANAGER


def load(mock, parameters):
    bluez5.load(mock, parameters)
    target = parameters.get('serial_socket')
    profiles = {}  # uuid -> (sender, object path)

    def connect(device, uuid):
        if uuid not in profiles or not target:
            return False
        sender, path = profiles[uuid]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(target)
        fd = dbus.types.UnixFd(s.fileno())
        s.close()
        proxy = mock.connection.get_object(sender, path, introspect=False)
        proxy.NewConnection(dbus.ObjectPath(device), fd, dbus.Dictionary({}, signature='sv'),
                            dbus_interface='org.bluez.Profile1',
                            reply_handler=lambda: None, error_handler=lambda e: None)
        return False

    def on_message(_conn, msg):
        # Only looks: every call goes on to the template's own handlers.
        if msg.get_type() == 1:  # method call
            note(msg)
        return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED

    def note(msg):
        if msg.get_interface() == 'org.bluez.ProfileManager1' and msg.get_member() == 'RegisterProfile':
            args = msg.get_args_list()
            profiles[str(args[1]).lower()] = (msg.get_sender(), str(args[0]))
        elif msg.get_interface() == 'org.bluez.ProfileManager1' and msg.get_member() == 'UnregisterProfile':
            path = str(msg.get_args_list()[0])
            for uuid in [u for u, (_, p) in profiles.items() if p == path]:
                del profiles[uuid]
        elif msg.get_interface() == 'org.bluez.Device1' and msg.get_member() == 'ConnectProfile':
            uuid = str(msg.get_args_list()[0]).lower()
            GLib.idle_add(connect, msg.get_path(), uuid)

    mock.connection.add_message_filter(on_message)
