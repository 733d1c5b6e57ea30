// A bounded body (every route's but the proxy's) must arrive whole in time: Node's own whole-request
// clock is off (bind-port.ts), so a client trickling a body is cut off by the edge's readers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { AppError } from '../core/errors.js';
import { readBody } from './fast-path.js';
import { readLimited } from './router.js';

describe('the body deadline', () => {
  it('closes the socket of a client still sending after the deadline (Node request)', async () => {
    let read: Promise<string> | undefined;
    const server = http.createServer((req) => {
      read = readBody(req, 300);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const started = Date.now();
    const client = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/graphql', headers: { 'content-length': '1000' } });
    const closed = new Promise<void>((resolve) => client.on('error', () => resolve()).on('close', () => resolve()));
    client.write('x'.repeat(10));
    for (let waited = 0; !read && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(read).rejects.toMatchObject({ code: 'invalid_input' });
    await closed;
    expect(Date.now() - started).toBeLessThan(2000);
    server.close();
  });

  it('leaves a body that arrives in time alone', async () => {
    let read: Promise<string> | undefined;
    const server = http.createServer((req, res) => {
      read = readBody(req, 300);
      read.then((text) => res.end(text), () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: 'whole' });
    expect(await answer.text()).toBe('whole');
    server.close();
  });

  it('ends the reading of a web request whose client is still sending after the deadline (router)', async () => {
    let fail!: (error: Error) => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        fail = (error) => controller.error(error);
      },
    });
    const request = new Request('http://localhost/x', { method: 'POST', body, duplex: 'half' } as RequestInit);
    // Closing the socket errors the body stream, as Hono's Node adapter does.
    const socket = { destroy: () => (fail(new Error('socket closed')), socket) };
    const started = Date.now();
    const reading = readLimited(request, () => undefined, socket as never, 200);
    await expect(reading).rejects.toBeInstanceOf(AppError);
    await expect(reading).rejects.toMatchObject({ code: 'invalid_input' });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
