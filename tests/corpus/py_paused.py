"""A paused job: two threads deadlock, then the process stops itself with
SIGSTOP (as `kill -STOP` or the dashboard's pause would). A stopped job is
never stalled: it is paused."""
import os
import signal
import threading

lock_a, lock_b = threading.Lock(), threading.Lock()
both_held = threading.Barrier(2)


def take(first, second):
    with first:
        both_held.wait()
        with second:
            pass


for pair in ((lock_a, lock_b), (lock_b, lock_a)):
    threading.Thread(target=take, args=pair, daemon=True).start()
print("PAUSING", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
