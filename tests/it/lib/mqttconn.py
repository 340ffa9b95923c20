#!/usr/bin/env python3
# mqttconn.py -- one raw MQTT CONNECT, for tests that need bytes a normal
# client will not send (a NUL inside the password) or the CONNACK's exact
# fields.  Prints "connack SESSION_PRESENT CODE" (CODE: the 3.1.1 return
# code or the MQTT 5 reason code, in decimal) and exits 0; exit 1 when the
# node closed the connection without a CONNACK.
#
#   mqttconn.py PORT VERSION CLIENT_ID USER PASSWORD [clean|keep] [EXPIRY]
#
# VERSION is 4 (3.1.1) or 5.  PASSWORD is taken with Python escapes
# ("abc\x00zzz"); "-" sends no username and password.  keep asks for the
# session to be kept (clean session/start 0); EXPIRY is the MQTT 5 session
# expiry interval (default 0).
import socket
import struct
import sys


def mqtt_str(b):
    return struct.pack(">H", len(b)) + b


def varint(n):
    out = b""
    while True:
        d = n % 128
        n //= 128
        out += bytes([d | (0x80 if n else 0)])
        if not n:
            return out


def main():
    port, version, cid, user, pw = sys.argv[1:6]
    keep = len(sys.argv) > 6 and sys.argv[6] == "keep"
    expiry = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    version = int(version)
    flags = 0 if keep else 0x02
    payload = mqtt_str(cid.encode())
    if user != "-":
        flags |= 0xC0
        payload += mqtt_str(user.encode())
        payload += mqtt_str(pw.encode().decode("unicode_escape").encode("latin-1"))
    var = mqtt_str(b"MQTT") + bytes([version, flags]) + struct.pack(">H", 30)
    if version == 5:
        props = b"\x11" + struct.pack(">I", expiry) if expiry else b""
        var += varint(len(props)) + props
    body = var + payload
    pkt = bytes([0x10]) + varint(len(body)) + body
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    s.sendall(pkt)
    head = s.recv(2)
    if len(head) < 2 or head[0] != 0x20:
        print("no connack")
        return 1
    rest = b""
    while len(rest) < 2:
        chunk = s.recv(2 - len(rest))
        if not chunk:
            break
        rest += chunk
    if len(rest) < 2:
        print("no connack")
        return 1
    print("connack %d %d" % (rest[0] & 1, rest[1]))
    s.close()
    return 0


sys.exit(main())
