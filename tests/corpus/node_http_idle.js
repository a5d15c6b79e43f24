// An idle HTTP server: its event loop waits in epoll on a listening socket.
const http = require('http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => console.log('LISTENING', server.address().port));
