// POST /connect/sessions: the backend creates a connect session in REST, the
// same core function as Mutation.createConnectSession. Snake case and the
// `{ data }` envelope, as Nango's own REST API answers it.
import { z } from 'zod';
import { json, parseJsonBody, type Reply, type RouteRequest, type Services } from '../route.js';

const CreateBody = z
  .object({
    provider_config_key: z.string({ required_error: 'is required' }),
    connection_id: z.string({ required_error: 'is required' }),
    end_user: z
      .object({ id: z.string({ required_error: 'is required' }), email: z.string().nullish(), display_name: z.string().nullish() })
      .strict()
      .nullish(),
    params: z.record(z.string(), z.string()).nullish(),
  })
  .strict();

export interface ConnectSessionJson {
  data: { token: string; expires_at: string; connect_url: string };
}

export async function createConnectSession(request: RouteRequest, { core }: Services): Promise<Reply> {
  const body = parseJsonBody(await request.text(), CreateBody);
  const session = await core.connectSessions.create({
    providerConfigKey: body.provider_config_key,
    connectionId: body.connection_id,
    endUser: body.end_user && { id: body.end_user.id, email: body.end_user.email, displayName: body.end_user.display_name },
    params: body.params,
  });
  const reply: ConnectSessionJson = { data: { token: session.token, expires_at: session.expiresAt.toISOString(), connect_url: session.connectUrl } };
  // The token is a credential: no cache may keep it.
  return json(reply, 201, { 'cache-control': 'no-store' });
}
