// Webhooks: to come.
import { Heading } from './common.js';

export function WebhooksView(_props: { params: string[] }) {
  return <Heading>Webhooks</Heading>;
}
