/**
 * The floor: a bare `node:http` reverse proxy, run as its own process, that forwards each request to
 * the fake upstream over a keep-alive pool and pipes the bytes both ways without parsing a body. It
 * is the least any Node gateway can cost per request; the gateway's CPU per request is reported as a
 * multiple of this one's.
 *
 * Usage: floor-proxy <upstream port>. Prints `listening <port>` on stdout once it accepts connections.
 */
import { Agent, createServer, request as sendRequest } from 'node:http';

const upstreamPort = Number(process.argv[2]);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write('floor-proxy: the upstream port is the first argument\n');
  process.exit(2);
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer({ keepAliveTimeout: 120_000 }, (incoming, outgoing) => {
  const forward = sendRequest(
    {
      host: '127.0.0.1',
      port: upstreamPort,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers,
      agent,
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forward.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  incoming.pipe(forward);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
