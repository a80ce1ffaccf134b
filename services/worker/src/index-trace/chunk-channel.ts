const COALESCE_BYTES = 1 << 20;

/**
 * An async iterable fed by a producer that waits when the consumer falls behind: the parse loop
 * pushes event-store chunks, blob storage pulls them. Holds at most about `highWaterBytes`.
 */
export class ChunkChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly highWaterBytes = 8 << 20) {}

  /** Queues chunks; resolves once there is room again. */
  async push(chunks: Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      if (c.length === 0) continue;
      this.queue.push(c);
      this.queued += c.length;
    }
    this.wakeConsumer?.();
    while (this.queued > this.highWaterBytes && !this.failure) {
      await new Promise<void>((r) => {
        this.wakeProducer = r;
      });
    }
    if (this.failure) throw this.failure;
  }

  end(): void {
    this.ended = true;
    this.wakeConsumer?.();
  }

  /** Makes the consumer fail (the blob store then keeps nothing). */
  fail(err: Error): void {
    this.failure = err;
    this.wakeConsumer?.();
    this.wakeProducer?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure;
      let next = this.queue.shift();
      if (next && this.queue.length > 0 && next.length < COALESCE_BYTES) {
        // Many small chunks (one per event-store block) become one write of up to 1 MiB.
        const parts = [next];
        let size = next.length;
        while (this.queue.length > 0 && size + this.queue[0]!.length <= COALESCE_BYTES) {
          const c = this.queue.shift()!;
          parts.push(c);
          size += c.length;
        }
        next = Buffer.concat(parts, size);
      }
      if (next) {
        this.queued -= next.length;
        if (this.queued <= this.highWaterBytes) this.wakeProducer?.();
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => {
        this.wakeConsumer = r;
      });
    }
  }
}
