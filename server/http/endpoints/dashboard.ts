// The dashboard at the server's own address: its page (at / and under
// /dashboard/, where the page routes itself), its content-named files, and its
// sign-in, which exchanges the secret key for a session cookie (see
// dashboard-session.ts). Its data comes from the GraphQL API alone.
import { serialize } from 'hono/utils/cookie';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { CSRF_HEADER, DASHBOARD_COOKIE, DASHBOARD_SESSION_SECONDS } from '../dashboard-session.js';
import { cookieValue } from '../edge.js';
import { sameKey } from '../principals.js';
import { json, parseJsonBody, type Reply, type RouteRequest, type Services } from '../route.js';

/** What the page learns about its session before it shows anything. */
export interface DashboardSessionJson {
  /** False without a secret key: the dashboard (and the API) are open to anyone who can reach them. */
  protected: boolean;
  signedIn: boolean;
  /** Send as the x-nango-csrf header with every API call; null when not signed in. */
  csrfToken: string | null;
  expiresAt: string | null;
  /** The header name, so that the page need not repeat it. */
  csrfHeader: string;
}

const SignIn = z.object({ secretKey: z.string({ required_error: 'is required' }).min(1, 'is required').max(4096) }).strict();

export async function dashboardPage(_request: RouteRequest, services: Services): Promise<Reply> {
  return { status: 200, ...(await services.dashboard.page()) };
}

export async function dashboardFile(request: RouteRequest, services: Services): Promise<Reply> {
  const file = await services.dashboard.file(request.params.file ?? '');
  if (!file) throw new AppError('not_found', 'The dashboard has no file by that name.');
  return { status: 200, ...file.answer(request.header('accept-encoding')) };
}

export async function dashboardSession(request: RouteRequest, services: Services): Promise<Reply> {
  const sessions = services.keys.dashboardSessions;
  const cookie = cookieValue(request.header('cookie'), DASHBOARD_COOKIE);
  const session = sessions && cookie ? sessions.read(cookie) : null;
  const body: DashboardSessionJson = {
    protected: Boolean(sessions),
    signedIn: !sessions || session !== null,
    csrfToken: session?.csrfToken ?? null,
    expiresAt: session?.expiresAt.toISOString() ?? null,
    csrfHeader: CSRF_HEADER,
  };
  return json(body, 200, { 'cache-control': 'no-store' });
}

export async function dashboardSignIn(request: RouteRequest, services: Services): Promise<Reply> {
  const { secretKey } = parseJsonBody(await request.text(), SignIn);
  const sessions = services.keys.dashboardSessions;
  if (!sessions || !services.keys.secretKey) throw new AppError('invalid_input', 'This server has no secret key: the dashboard needs no sign-in.', { field: 'secretKey' });
  if (!sameKey(secretKey, services.keys.secretKey)) throw new AppError('invalid_secret_key');
  const issued = sessions.issue();
  const cookie = serialize(DASHBOARD_COOKIE, issued.cookie, { path: '/', httpOnly: true, sameSite: 'Strict', secure: services.flowCookie.secure, maxAge: DASHBOARD_SESSION_SECONDS });
  const body: DashboardSessionJson = { protected: true, signedIn: true, csrfToken: issued.csrfToken, expiresAt: issued.expiresAt.toISOString(), csrfHeader: CSRF_HEADER };
  return json(body, 201, { 'set-cookie': cookie, 'cache-control': 'no-store' });
}

export async function dashboardSignOut(_request: RouteRequest, services: Services): Promise<Reply> {
  const cookie = serialize(DASHBOARD_COOKIE, '', { path: '/', httpOnly: true, sameSite: 'Strict', secure: services.flowCookie.secure, maxAge: 0 });
  return { status: 204, headers: { 'set-cookie': cookie, 'cache-control': 'no-store' }, body: null };
}
