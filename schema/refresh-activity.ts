// Query.refreshActivity: refreshes succeeded and failed per minute over the
// last hour, summed over every instance (see server/core/refresh-activity.ts).
import type { RefreshMinute } from '../server/db/refresh-minute-store.js';
import { invalidInput } from '../server/core/errors.js';
import { builder } from './builder.js';

const RefreshMinuteRef = builder.objectRef<RefreshMinute>('RefreshMinute').implement({
  description: "One minute's refreshes: a provider called for new tokens (a refusal for the backoff, which calls no provider, is not counted).",
  fields: (t) => ({
    minute: t.field({ type: 'DateTime', description: "The minute's start.", resolve: (entry) => entry.minute }),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed'),
  }),
});

builder.queryField('refreshActivity', (t) =>
  t.field({
    type: [RefreshMinuteRef],
    description:
      'The last `minutes` minutes (1-1440, default 60), oldest first, one entry each; the last is the current minute, so far. Each instance writes its counts every 10 s and before it answers this, so the instance answering is exact and the others are at most 10 s behind.',
    args: { minutes: t.arg.int() },
    resolve: (_root, args, { core }) => {
      const minutes = args.minutes ?? 60;
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw invalidInput('minutes', 'must be from 1 to 1440');
      return core.refreshActivity.last(minutes);
    },
  }),
);
