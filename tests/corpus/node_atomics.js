// The issue's own case: the main thread blocked for good in Atomics.wait,
// beside Node's platform workers and libuv's idle epoll thread.
console.error('DEADLOCKED');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
