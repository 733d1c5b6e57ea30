// Every route of the server, declared once: method, pattern, the query
// parameters it reads, who may call it, how its errors look, whether Node's
// listener serves it directly, and its handler. Both dispatchers (fast-path.ts
// and router.ts) serve from this table and nothing else; a route that declares
// no caller stops the server at start-up (compileRoutes). To add a route: write
// its handler under endpoints/, add its line here, and test it.
import { createConnectSession } from './endpoints/connect-sessions.js';
import { createConnection, deleteConnection, listConnections, readConnection } from './endpoints/connections.js';
import { dashboardFile, dashboardPage, dashboardSession, dashboardSignIn, dashboardSignOut } from './endpoints/dashboard.js';
import { frontendSdk } from './endpoints/frontend-sdk.js';
import { graphiqlFile } from './endpoints/graphiql-files.js';
import { graphiqlOrOperation, graphqlOperation, graphqlPreflight } from './endpoints/graphql.js';
import { liveness, readiness } from './endpoints/health.js';
import { metricsPage } from './endpoints/metrics.js';
import { connectUi, oauthCallback, oauthConnect, oauthConnectConfirmed } from './endpoints/oauth.js';
import { proxyRequest } from './endpoints/proxy.js';
import type { Route } from './route.js';

export const ROUTES: readonly Route[] = [
  // The token read in front of every API call of our users, and the pages of the list (Nango 0.x's REST shape).
  { method: 'GET', pattern: '/connection/:connectionId', query: ['provider_config_key', 'force_refresh'], callers: ['backend'], face: 'rest', fast: true, handle: readConnection },
  { method: 'GET', pattern: '/connection', query: ['provider_config_key', 'health', 'first', 'after'], callers: ['backend'], face: 'rest', fast: true, handle: listConnections },
  // A connection from an API key, Basic credentials, or a token the service obtains (client credentials, GitHub App).
  { method: 'POST', pattern: '/connection', query: [], callers: ['backend'], face: 'rest', fast: false, handle: createConnection },
  { method: 'DELETE', pattern: '/connection/:connectionId', query: ['provider_config_key', 'revoke', 'force'], callers: ['backend'], face: 'rest', fast: false, handle: deleteConnection },
  // The proxy: a call to the provider's API for a connection, its credentials placed by the service; the body
  // streams both ways (bounded by NANGO_PROXY_MAX_UPLOAD_BYTES, not by the edge's limit).
  ...(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map(
    (method): Route => ({ method, pattern: '/proxy/*', query: [], callers: ['backend'], face: 'proxy', fast: true, body: 'stream', handle: proxyRequest }),
  ),
  // A connect session: the backend's permission for one browser to authorize one connection.
  { method: 'POST', pattern: '/connect/sessions', query: [], callers: ['backend'], face: 'rest', fast: false, handle: createConnectSession },
  // GraphQL: operations from backends; GraphiQL's page for anyone (its operations need the key).
  { method: 'POST', pattern: '/graphql', query: [], callers: ['backend'], face: 'graphql', fast: true, handle: graphqlOperation },
  { method: 'GET', pattern: '/graphql', query: ['query', 'variables', 'operationName', 'extensions'], callers: ['backend', 'anyone'], face: 'graphql', fast: false, handle: graphiqlOrOperation },
  { method: 'OPTIONS', pattern: '/graphql', query: [], callers: ['backend'], face: 'graphql', fast: false, handle: graphqlPreflight },
  // GraphiQL's scripts, styles and icon, named by their content (server/http/graphiql.ts).
  { method: 'GET', pattern: '/graphql/assets/:file', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: graphiqlFile },
  // The OAuth flow in the end user's popup: started with a connect session (or, as the connect policy
  // allows, by the operator's page), ended by the provider's redirect, which carries whatever the
  // provider sends back (state, code, realmId, ...).
  { method: 'GET', pattern: '/oauth/connect/:providerConfigKey', query: ['connection_id', 'connect_session_token', 'public_key', 'params[*]'], callers: ['connect-session', 'frontend'], face: 'page', fast: false, handle: oauthConnect },
  // The person clicked Continue on the page that names what is being connected and for whom.
  { method: 'POST', pattern: '/oauth/connect/:providerConfigKey', query: ['connection_id', 'connect_session_token', 'public_key', 'params[*]'], callers: ['connect-session', 'frontend'], face: 'page', fast: false, handle: oauthConnectConfirmed },
  // The Connect UI found from a connect session token alone (nango.openConnectUI): on to the session's connect page.
  { method: 'GET', pattern: '/connect', query: ['connect_session_token'], callers: ['connect-session'], face: 'page', fast: false, handle: connectUi },
  { method: 'GET', pattern: '/oauth/callback', query: ['*'], callers: ['anyone'], face: 'page', fast: false, handle: oauthCallback },
  { method: 'GET', pattern: '/sdk/frontend.js', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: frontendSdk },
  // The dashboard: its page at the server's address and under /dashboard/ (it routes itself), its content-named
  // files, and its sign-in (the secret key for a session cookie). Its data comes through /graphql.
  { method: 'GET', pattern: '/', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardPage },
  { method: 'GET', pattern: '/dashboard', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardPage },
  { method: 'GET', pattern: '/dashboard/:view', query: ['*'], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardPage },
  { method: 'GET', pattern: '/dashboard/:view/:first', query: ['*'], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardPage },
  { method: 'GET', pattern: '/dashboard/:view/:first/:second', query: ['*'], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardPage },
  { method: 'GET', pattern: '/dashboard/assets/:file', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardFile },
  { method: 'GET', pattern: '/dashboard/session', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardSession },
  { method: 'POST', pattern: '/dashboard/session', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardSignIn },
  { method: 'DELETE', pattern: '/dashboard/session', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: dashboardSignOut },
  // Operations: liveness (the process answers), readiness (the database answers too), Prometheus metrics.
  { method: 'GET', pattern: '/health/live', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: liveness },
  { method: 'GET', pattern: '/health', query: [], callers: ['anyone'], face: 'rest', fast: false, handle: readiness },
  { method: 'GET', pattern: '/metrics', query: [], callers: ['backend'], face: 'rest', fast: false, handle: metricsPage },
];
