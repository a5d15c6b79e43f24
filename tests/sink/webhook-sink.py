#!/usr/bin/env python3
"""A loopback HTTP sink for mergewatch's webhook tests.

Listens on 127.0.0.1 (port 0: a free one), prints the port on stdout, records
every request as one JSON line in --record (time of arrival, method, path,
headers, body, the answer given) and answers by --script, one item per
request, 200 once the script is used up:

  200, 204, 404, 500, ...  that status, with a short body
  429:S                    429 with "Retry-After: S"
  429b:S                   429 with Discord's body {"retry_after": S, ...} and no header
  hang:S                   read the request, answer nothing for S seconds, close

Runs until SIGTERM or SIGINT.
"""

import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Script:
    def __init__(self, text):
        self.items = [s.strip() for s in text.split(",") if s.strip()] if text else []
        self.lock = threading.Lock()
        self.index = 0

    def next(self):
        with self.lock:
            if self.index < len(self.items):
                item = self.items[self.index]
                self.index += 1
                return item
            return "200"


class Recorder:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8") if path else None

    def write(self, record):
        if self.file is None:
            return
        with self.lock:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()


def make_handler(script, recorder):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass  # quiet: the record file is the log

        def answer(self, status, body=b"", headers=None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_POST(self):
            arrived = time.time()
            length = int(self.headers.get("Content-Length", "0") or "0")
            body = self.rfile.read(length) if length > 0 else b""
            item = script.next()
            recorder.write({
                "t": arrived,
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "answer": item,
            })
            kind, _, arg = item.partition(":")
            if kind == "hang":
                time.sleep(float(arg or "30"))
                self.close_connection = True
                return
            if kind == "429":
                self.answer(429, b"rate limited", {"Retry-After": arg or "1"})
            elif kind == "429b":
                doc = {"message": "You are being rate limited.",
                       "retry_after": float(arg or "1"), "global": False}
                self.answer(429, json.dumps(doc).encode(), {"Content-Type": "application/json"})
            else:
                status = int(kind)
                self.answer(status, b"" if status == 204 else b"ok")

        do_PUT = do_POST

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", default="")
    parser.add_argument("--record", default="")
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.host, args.port),
                                 make_handler(Script(args.script), Recorder(args.record)))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
