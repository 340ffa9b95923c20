#!/usr/bin/env python3
"""review_pub311.py HOST PORT USER PASS TOPIC MSG: one MQTT 3.1.1 QoS 1
publish; prints PUBACK (with its packet id) or CLOSED (no acknowledgement)."""
import socket, struct, sys
host, port, user, pw, topic, msg = sys.argv[1:7]
s = lambda x: struct.pack('>H', len(x.encode())) + x.encode()
def pkt(t, body): return bytes([t, len(body)]) + body
c = socket.create_connection((host, int(port)))
c.settimeout(5)
c.sendall(pkt(0x10, s('MQTT') + bytes([4, 0xC2]) + struct.pack('>H', 60) + s('r311') + s(user) + s(pw)))
if c.recv(4)[3] != 0: print('CONNACK refused'); sys.exit(2)
c.sendall(pkt(0x32, s(topic) + struct.pack('>H', 7) + msg.encode()))
try:
    d = c.recv(4)
except socket.timeout:
    d = b''
if len(d) >= 4 and d[0] == 0x40: print('PUBACK id', struct.unpack('>H', d[2:4])[0])
else: print('CLOSED' if not d else 'OTHER ' + d.hex())
c.close()
