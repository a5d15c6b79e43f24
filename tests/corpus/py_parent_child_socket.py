"""A parent in multiprocessing's Event().wait() while its child reads a
socket from a service outside the job (the test's listener on PORT): a job
waiting on a remote service. usage: py_parent_child_socket.py PORT"""
import multiprocessing
import socket
import sys


def fetch(port, done):
    s = socket.create_connection(("127.0.0.1", port))
    s.recv(1)                       # the service never answers
    done.set()


if __name__ == "__main__":
    done = multiprocessing.Event()
    child = multiprocessing.Process(target=fetch, args=(int(sys.argv[1]), done))
    child.start()
    print("WAITING", flush=True)
    done.wait()
