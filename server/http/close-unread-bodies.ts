// A request answered before its body was read (401, 403, 413, ...) leaves that
// body on the socket; the adapter drains or destroys it afterwards. Telling the
// client `Connection: close` keeps it from reusing a socket that may be closing.
import type { MiddlewareHandler } from 'hono';

export function closeUnreadBodies(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const length = c.req.header('content-length');
    const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
    if (hasBody && !c.req.raw.bodyUsed) c.res.headers.set('connection', 'close');
  };
}
