"""openapi_check.py -- send every x-test of docs/openapi.yaml to a running
node and check it answers as documented.

    python3 openapi_check.py OPENAPI.yaml PORT READER_TOKEN OPERATOR_TOKEN

The document is read line by line (no YAML library): paths are the keys
at two spaces under `paths:`, methods at four, response codes ('200':) at
eight, and each response's `x-test:` holds one JSON object (see the
document's head comment).  Every documented response must have an
x-test.  Prints "PASS what" / "FAIL what -- detail".
"""
import base64
import http.client
import json
import os
import re
import socket
import sys

doc, port, reader, operator = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
tokens = {"none": None, "reader": reader, "operator": operator}

tests, responses = [], []
path = method = code = None
in_paths = False
for line in open(doc):
    if line.startswith("paths:"):
        in_paths = True
        continue
    if not in_paths:
        continue
    m = re.match(r"^  (/\S*):\s*$", line)
    if m:
        path, method, code = m.group(1), None, None
        continue
    m = re.match(r"^    (get|post|put|delete|patch):\s*$", line)
    if m:
        method, code = m.group(1).upper(), None
        continue
    m = re.match(r"^        '(\d{3})':\s*$", line)
    if m and path and method:
        code = int(m.group(1))
        responses.append((path, method, code))
        continue
    m = re.match(r"^\s+x-test:\s*(\{.*\})\s*$", line)
    if m and code:
        tests.append((path, method, code, json.loads(m.group(1))))

failed = 0


def report(ok, what, detail=""):
    global failed
    if ok:
        print("PASS " + what)
    else:
        failed += 1
        print("FAIL %s -- %s" % (what, detail))


tested = {(p, m, c) for p, m, c, _ in tests}
# Lint of the document, not behaviour: reported as set-up steps.
for r in responses:
    report(r in tested, "setup: %s %s %d has an x-test" % (r[1], r[0], r[2]))
report(len(responses) >= 30, "setup: the document describes %d responses" % len(responses))


def headers_for(t):
    h = {}
    if tokens[t.get("as", "reader")]:
        h["Authorization"] = "Bearer " + tokens[t.get("as", "reader")]
    for k, v in t.get("headers", {}).items():
        h[k] = "x" * v if isinstance(v, int) else v
    return h


def websocket(t):
    """The status of a WebSocket upgrade, and the body of a refusal."""
    s = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    req = "GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
          "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (t["path"], key)
    for k, v in headers_for(t).items():
        req += "%s: %s\r\n" % (k, v)
    s.sendall((req + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        if not b:
            break
        data += b
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if status != 101:
        n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        while len(body) < n:
            body += s.recv(65536)
    s.close()
    return status, body


for p, m, c, t in tests:
    what = "%s %s answers %d as documented (%s)" % (t.get("method", m), p, c, t["path"])
    try:
        if t.get("ws"):
            status, body = websocket(t)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            body = None
            if "body" in t:
                body = json.dumps(t["body"]).encode()
            elif isinstance(t.get("raw"), int):
                body = b"x" * t["raw"]
            elif "raw" in t:
                body = t["raw"].encode()
            conn.request(t.get("method", m), t["path"], body=body, headers=headers_for(t))
            r = conn.getresponse()
            status, body = r.status, r.read()
            conn.close()
        ok, detail = status == c, "status %d: %s" % (status, body[:300])
        if ok and status != 101:
            text = body.decode("utf-8", "replace")
            if "text" in t:
                ok = t["text"] in text
            else:
                d = json.loads(text)
                if status >= 400:
                    ok = set(d) == {"error"} and set(d["error"]) == {"code", "message"}
                    ok = ok and d["error"]["code"] == t.get("code", d["error"]["code"])
                ok = ok and all(k in d for k in t.get("keys", []))
        report(ok, what, detail)
    except Exception as e:  # a dropped connection is a failure, not a crash
        report(False, what, repr(e))
sys.exit(1 if failed else 0)
