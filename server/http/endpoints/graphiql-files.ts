// /graphql/assets/:file: the scripts, styles and icon of GraphiQL's page
// (graphiql.ts), by their content-named file names, for anyone.
import { AppError } from '../../core/errors.js';
import type { Reply, RouteRequest, Services } from '../route.js';

export async function graphiqlFile(request: RouteRequest, services: Services): Promise<Reply> {
  const file = await services.graphql.graphiql.file(request.params.file ?? '');
  if (!file) throw new AppError('not_found', 'GraphiQL has no file by that name.');
  return { status: 200, ...file.answer(request.header('accept-encoding')) };
}
