#!/usr/bin/env python3
"""A stand-in for journald, for the service tests: run inside a private
mount namespace with a tmpfs on /run, it binds the native protocol's socket
/run/systemd/journal/socket, gives the command a stream socket as standard
error with JOURNAL_STREAM naming it (as systemd does), runs it to the end and
prints every entry received, parsed, as one JSON list on standard output.
Usage: fake_journald.py COMMAND [ARG...]"""
import json
import os
import socket
import struct
import subprocess
import sys


def parse_entry(data):
    """Fields of one native-protocol datagram: KEY=value lines, or KEY\\n
    followed by a 64-bit little-endian length, the value and a newline."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            fields[k.decode()] = v.decode()
            i = nl + 1
        else:
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            fields[line.decode()] = data[nl + 9:nl + 9 + n].decode()
            assert data[nl + 9 + n:nl + 10 + n] == b"\n"
            i = nl + 10 + n
    return fields


def main():
    os.makedirs("/run/systemd/journal", exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("/run/systemd/journal/socket")
    server.settimeout(0.2)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    st = os.fstat(theirs.fileno())
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    proc = subprocess.Popen(sys.argv[1:], stderr=theirs.fileno(), stdout=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    theirs.close()
    entries = []
    while True:
        try:
            entries.append(parse_entry(server.recv(65536)))
        except socket.timeout:
            if proc.poll() is not None:
                break
    ours.setblocking(False)
    try:
        stream = ours.recv(1 << 20).decode(errors="replace")
    except BlockingIOError:
        stream = ""
    print(json.dumps({"status": proc.returncode, "entries": entries, "stderr": stream}))


if __name__ == "__main__":
    main()
