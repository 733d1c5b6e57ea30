// Events: to come.
import { Heading } from './common.js';

export function EventsView(_props: { params: string[] }) {
  return <Heading>Events</Heading>;
}
