#!/usr/bin/env python3
"""dos.py -- cheap denial-of-service clients for tests/it/harden_dos.sh.

Every mode is bounded in bytes and in time, talks only to 127.0.0.1, and
prints one result line to stdout:

  trickle PORT INTERVAL MAXSECS
      connect, then send one byte of a CONNECT every INTERVAL seconds and
      never finish it; prints "closed SECS" (seconds from the connect to
      the node closing the socket) or "open MAXSECS".
  idle PORT COUNT HOLDSECS STOPFILE
      open COUNT sockets that never send a byte; prints "opened N" (the
      connects that completed) once, then holds them until STOPFILE exists
      or HOLDSECS pass; exits printing "left N" (sockets the node had not
      closed).
  mqttflood PORT USER PASS MBYTES SECS
      log in (MQTT 5), then send QoS 1 publishes the node refuses (a
      wildcard in the topic name) and never read again; stops after MBYTES
      or SECS; prints "sent BYTES".
  wsping HTTPPORT TOKEN MBYTES SECS
      open GET /v1/stream, then send ping frames and never read; prints
      "sent BYTES closed|open".
  fill PORT USER PASS TOPIC COUNT SIZE
      log in and publish COUNT QoS 1 messages of SIZE bytes labelled NATO
      UNCLASSIFIED on TOPIC; prints "acked N".
  httphold HTTPPORT TOKEN CONNS REQS HOLDSECS STOPFILE
      CONNS connections each sending REQS pipelined history requests and
      never reading; prints "sent N", holds until STOPFILE or HOLDSECS.
"""
import os
import select
import socket
import struct
import sys
import time


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mstr(b):
    return struct.pack('>H', len(b)) + b


def packet(kind, body):
    return bytes([kind]) + varint(len(body)) + body


def connect_v5(user, password, cid=b''):
    flags = 0x80 | 0x40 | 0x02
    body = mstr(b'MQTT') + bytes([5, flags]) + struct.pack('>H', 60) + b'\x00'
    body += mstr(cid) + mstr(user.encode()) + mstr(password.encode())
    return packet(0x10, body)


def trickle(port, interval, maxsecs):
    s = socket.create_connection(('127.0.0.1', port))
    start = time.monotonic()
    data = connect_v5('nobody', 'x')
    i = 0
    while time.monotonic() - start < maxsecs:
        if i < len(data) - 1:  # never the last byte: the CONNECT stays incomplete
            try:
                s.send(data[i:i + 1])
            except OSError:
                break
            i += 1
        r, _, _ = select.select([s], [], [], interval)
        if r:
            try:
                if not s.recv(4096):
                    break
            except OSError:
                break
    took = time.monotonic() - start
    print('closed %.2f' % took if took < maxsecs else 'open %d' % maxsecs, flush=True)


def idle(port, count, hold, stopfile):
    socks = []
    for _ in range(count):
        try:
            socks.append(socket.create_connection(('127.0.0.1', port), timeout=2))
        except OSError:
            break
    print('opened %d' % len(socks), flush=True)
    end = time.monotonic() + hold
    while time.monotonic() < end and not os.path.exists(stopfile):
        time.sleep(0.1)
    left = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        try:
            if not r or s.recv(1):
                left += 1
        except OSError:
            pass
        s.close()
    print('left %d' % left, flush=True)


def send_for(s, chunk, total, secs):
    """Send chunk again and again until total bytes or secs; the socket is
    non-blocking so a node that stops reading cannot hold us."""
    s.setblocking(False)
    sent = 0
    end = time.monotonic() + secs
    closed = False
    view = memoryview(chunk)
    pos = 0
    while sent < total and time.monotonic() < end:
        _, w, _ = select.select([], [s], [], 0.2)
        if not w:
            continue
        try:
            n = s.send(view[pos:])
        except BlockingIOError:
            continue
        except OSError:
            closed = True
            break
        sent += n
        pos = (pos + n) % len(chunk)
    return sent, closed


def mqttflood(port, user, password, mbytes, secs):
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(connect_v5(user, password, b'flood'))
    s.settimeout(10)
    ack = s.recv(4096)
    if not ack or ack[0] != 0x20:
        print('sent 0 (no CONNACK)', flush=True)
        return
    chunk = bytearray()
    pid = 1
    while len(chunk) < (1 << 20):
        body = mstr(b'x/+') + struct.pack('>H', pid) + b'\x00' + b'p' * 16
        chunk += packet(0x32, body)
        pid = pid % 60000 + 1
    sent, _ = send_for(s, bytes(chunk), mbytes << 20, secs)
    print('sent %d' % sent, flush=True)


def fill(port, user, password, topic, count, size):
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(connect_v5(user, password, b'filler'))
    s.settimeout(10)
    s.recv(4096)
    label = b'NATO UNCLASSIFIED'
    props = b'\x26' + mstr(b'label') + mstr(label)
    for pid in range(1, count + 1):
        body = mstr(topic.encode()) + struct.pack('>H', pid) + varint(len(props)) + props
        s.sendall(packet(0x32, body + b'h' * size))
    acked, buf = 0, b''
    while acked < count:
        got = s.recv(65536)
        if not got:
            break
        buf += got
        while len(buf) >= 2 and len(buf) >= 2 + buf[1]:  # PUBACKs are short
            if buf[0] == 0x40 and (buf[1] < 4 or buf[4] == 0):
                acked += 1
            buf = buf[2 + buf[1]:]
    print('acked %d' % acked, flush=True)


def ws_upgrade(port, token):
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(b'GET /v1/stream?topic=dos/none HTTP/1.1\r\nHost: x\r\n'
              b'Upgrade: websocket\r\nConnection: Upgrade\r\n'
              b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
              b'Sec-WebSocket-Version: 13\r\nAuthorization: Bearer ' + token.encode() +
              b'\r\n\r\n')
    s.settimeout(10)
    head = b''
    while b'\r\n\r\n' not in head:
        got = s.recv(4096)
        if not got:
            break
        head += got
    return s, head


def wsping(port, token, mbytes, secs):
    s, head = ws_upgrade(port, token)
    if not head.startswith(b'HTTP/1.1 101'):
        print('sent 0 no-upgrade', flush=True)
        return
    payload = b'p' * 125
    mask = b'\x01\x02\x03\x04'
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    frame = bytes([0x89, 0x80 | len(payload)]) + mask + masked
    sent, closed = send_for(s, frame * 8000, mbytes << 20, secs)
    print('sent %d %s' % (sent, 'closed' if closed else 'open'), flush=True)


def httphold(port, token, conns, reqs, hold, stopfile):
    req = (b'GET /v1/messages?topic=buf/h&limit=1000 HTTP/1.1\r\nHost: x\r\n'
           b'Authorization: Bearer ' + token.encode() + b'\r\n\r\n')
    socks = []
    sent = 0
    for _ in range(conns):
        s = socket.create_connection(('127.0.0.1', port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        try:
            sent += s.send(req * reqs)
        except OSError:
            pass
        socks.append(s)
    print('sent %d' % sent, flush=True)
    end = time.monotonic() + hold
    while time.monotonic() < end and not os.path.exists(stopfile):
        time.sleep(0.1)
    for s in socks:
        s.close()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == 'trickle':
        trickle(int(args[0]), float(args[1]), float(args[2]))
    elif mode == 'idle':
        idle(int(args[0]), int(args[1]), float(args[2]), args[3])
    elif mode == 'mqttflood':
        mqttflood(int(args[0]), args[1], args[2], int(args[3]), float(args[4]))
    elif mode == 'wsping':
        wsping(int(args[0]), args[1], int(args[2]), float(args[3]))
    elif mode == 'fill':
        fill(int(args[0]), args[1], args[2], args[3], int(args[4]), int(args[5]))
    elif mode == 'httphold':
        httphold(int(args[0]), args[1], int(args[2]), int(args[3]), float(args[4]), args[5])
    else:
        sys.exit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
