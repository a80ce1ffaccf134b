/**
 * Watches the bytes coming out of trace_pipe for our own marker texts, across chunk boundaries:
 * seeing a marker we wrote proves that everything the kernel buffered before it has been read.
 */
export interface MarkerWatch {
  feed(chunk: Buffer): void;
  seen(text: string): boolean;
  /** Resolves true once `text` was seen, false after `timeoutMs`. */
  wait(text: string, timeoutMs: number): Promise<boolean>;
}

export function createMarkerWatch(texts: string[]): MarkerWatch {
  const needles = texts.map((text) => Buffer.from(text));
  const longest = Math.max(...needles.map((needle) => needle.length));
  const found = new Set<string>();
  let tail = Buffer.alloc(0);
  return {
    feed(chunk) {
      if (found.size === texts.length) return;
      const head = Buffer.concat([tail, chunk.subarray(0, longest)]);
      needles.forEach((needle, index) => {
        const text = texts[index] as string;
        if (!found.has(text) && (head.indexOf(needle) >= 0 || chunk.indexOf(needle) >= 0)) found.add(text);
      });
      const end = Buffer.concat([tail, chunk]);
      tail = Buffer.from(end.subarray(Math.max(0, end.length - longest)));
    },
    seen: (text) => found.has(text),
    async wait(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!found.has(text) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      return found.has(text);
    },
  };
}
