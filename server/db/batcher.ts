// Many small statements of one kind as one: items added while a batch is out
// wait and go together in the next, as a database's group commit does. When
// nothing is out, an item goes at the end of the current turn of the event
// loop (with whatever else that turn added), so a lone item waits for nothing.
// Under a storm the batches grow by themselves, and each costs one round trip,
// one commit and one pooled connection instead of one per item.

export interface BatcherOptions {
  /** Items in one batch at most. */
  maxBatch: number;
  /** Batches out at once at most (each holds a pooled connection). */
  maxInFlight: number;
}

/** A batch's answer for one item that failed alone (its neighbours' results stand). */
export class ItemFailed {
  constructor(readonly error: unknown) {}
}

/**
 * `run` takes a batch and answers one result per item, in the items' order
 * (an ItemFailed for an item that failed alone); when it throws, every item of
 * that batch gets the error.
 */
export class Batcher<In, Out> {
  private queue: Array<{ item: In; resolve: (value: Out) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: In[]) => Promise<Array<Out | ItemFailed>>,
    private readonly options: BatcherOptions,
  ) {}

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      this.send(batch).finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
    }
  }

  private async send(batch: typeof this.queue): Promise<void> {
    try {
      const results = await this.run(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`A batch of ${batch.length} was answered with ${results.length} results.`);
      batch.forEach((entry, index) => {
        const result = results[index] as Out | ItemFailed;
        if (result instanceof ItemFailed) entry.reject(result.error);
        else entry.resolve(result);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
