#!/usr/bin/env python3
"""review_pub.py HOST PORT USER PASS N TOPIC_PREFIX LABEL [PROPKEY=VAL ...]
Raw MQTT 5 client: QoS 0 publishes on N distinct topics PREFIX/i, each with
user property label=LABEL (plus any extra user properties), then DISCONNECT.
With N < 0: one QoS 1 publish on PREFIX (not PREFIX/i); prints the PUBACK
reason code."""
import socket, struct, sys

def varint(n):
    out = b''
    while True:
        b = n % 128; n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out

def s(x):
    x = x.encode() if isinstance(x, str) else x
    return struct.pack('>H', len(x)) + x

def pkt(t, body):
    return bytes([t]) + varint(len(body)) + body

host, port, user, pw, n, prefix, label = sys.argv[1:8]
extra = [a.split('=', 1) for a in sys.argv[8:]]
n = int(n)
c = socket.create_connection((host, int(port)))
var = s('MQTT') + bytes([5, 0xC2]) + struct.pack('>H', 60) + varint(0)
c.sendall(pkt(0x10, var + s('rv-%s-%d' % (user, abs(n))) + s(user) + s(pw)))
def recv_pkt():
    h = c.recv(1)
    mult, ln = 1, 0
    while True:
        b = c.recv(1)[0]; ln += (b & 127) * mult; mult *= 128
        if not b & 128: break
    data = b''
    while len(data) < ln: data += c.recv(ln - len(data))
    return h[0], data
t, d = recv_pkt()
if t != 0x20 or d[1] != 0:
    print('CONNACK', hex(t), d[:2].hex()); sys.exit(1)
def props():
    p = b'\x26' + s('label') + s(label)
    for k, v in extra: p += b'\x26' + s(k) + s(v)
    return varint(len(p)) + p
if n < 0:
    c.sendall(pkt(0x32, s(prefix) + struct.pack('>H', 1) + props() + b'x'))
    t, d = recv_pkt()
    print('PUBACK reason 0x%02x' % (d[2] if len(d) > 2 else 0))
else:
    buf = b''
    for i in range(n):
        buf += pkt(0x30, s('%s/%d' % (prefix, i)) + props() + b'x')
        if len(buf) > 65536: c.sendall(buf); buf = b''
    c.sendall(buf)
c.sendall(bytes([0xE0, 0]))
c.close()
