// The floor for bench/list-api.ts: a bare Fastify route answering a JSON body of the same size.
import Fastify from 'fastify';

const size = Number(process.env['BARE_BODY_BYTES'] ?? 30_000);
const items = Array.from({ length: 100 }, (_, i) => ({ number: String(1000 + i), label: 'x'.repeat(Math.max(1, Math.floor(size / 100) - 40)) }));
const body = JSON.stringify({ items, total: 100, nextCursor: null });

const app = Fastify({ logger: false });
app.get('/page', (_req, reply) => {
  reply.type('application/json').send(body);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const a = app.server.address();
console.log(`bare fastify http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
