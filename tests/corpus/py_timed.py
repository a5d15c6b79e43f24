"""A loop of timed waits that never ends on its own: the shapes of issue 13's
false deadlocks. usage: py_timed.py event|queue|join SECONDS"""
import queue
import sys
import threading

kind, seconds = sys.argv[1], float(sys.argv[2])
print(f"waiting: {kind} {seconds}", flush=True)
if kind == "event":
    ev = threading.Event()
    while not ev.wait(seconds):
        pass
elif kind == "queue":
    q = queue.Queue()
    while True:
        try:
            q.get(timeout=seconds)
        except queue.Empty:
            pass
elif kind == "join":
    stop = threading.Event()
    worker = threading.Thread(target=lambda: stop.wait(seconds * 3 + 1))
    worker.start()
    while True:
        worker.join(seconds)
        if not worker.is_alive():
            worker = threading.Thread(target=lambda: stop.wait(seconds * 3 + 1))
            worker.start()
