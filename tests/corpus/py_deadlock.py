"""Two threads take two locks in opposite orders and deadlock; the main
thread joins them forever. The evidence must name both functions."""
import threading

lock_a = threading.Lock()
lock_b = threading.Lock()
both_held = threading.Barrier(2)


def transfer_a_to_b():
    with lock_a:
        both_held.wait()
        with lock_b:
            pass


def transfer_b_to_a():
    with lock_b:
        both_held.wait()
        with lock_a:
            pass


workers = [threading.Thread(target=transfer_a_to_b, name="a-to-b"),
           threading.Thread(target=transfer_b_to_a, name="b-to-a")]
for w in workers:
    w.start()
print("DEADLOCKED", flush=True)
for w in workers:
    w.join()
