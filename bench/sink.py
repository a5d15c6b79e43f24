#!/usr/bin/env python3
"""The bench's own loopback webhook sink, used when the test suite's
tests/sink/webhook-sink.py is not there: answers 200 to every POST, records
its arrival time and body as one JSON line in --record, prints its port on
stdout. Runs until SIGTERM."""

import argparse
import json
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--record", required=True)
    args = ap.parse_args()
    out = open(args.record, "a", encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_POST(self):
            t = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            out.write(json.dumps({"t": t, "path": self.path,
                                  "body": body.decode("utf-8", "replace")}) + "\n")
            out.flush()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = HTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
