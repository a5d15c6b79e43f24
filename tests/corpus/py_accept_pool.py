"""A server blocked in accept() beside an idle thread pool: it waits for
clients from outside (a stall when nobody comes), never a deadlock."""
import concurrent.futures
import socket

pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
for f in [pool.submit(pow, 2, i) for i in range(8)]:
    f.result()                      # the workers exist and now idle
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
print("LISTENING", server.getsockname()[1], flush=True)
conn, _ = server.accept()
