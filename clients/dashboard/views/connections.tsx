// Connections: to come.
import { Heading } from './common.js';

export function ConnectionsView(_props: { params: string[] }) {
  return <Heading>Connections</Heading>;
}
