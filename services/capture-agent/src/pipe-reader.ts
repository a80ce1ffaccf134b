import { closeSync, constants, open, read } from "node:fs";

const BUFFER_BYTES = 1 << 20;
const IDLE_WAIT_MS = 10;

/**
 * Reads trace_pipe without ever blocking in the kernel: with O_NONBLOCK an empty pipe answers EAGAIN
 * (0 from a FIFO with no writer yet), and we wait a little. A blocking read would sit in a thread
 * where close() cannot reach it, keeping trace_pipe open, and on 6.1 `nop` then fails with EBUSY.
 */
export interface PipeReader {
  /** Resolves when stop() was called and the last read has returned; the fd is closed by then. */
  done: Promise<void>;
  stop(): void;
  /** Closes the fd at once, synchronously: the crash path. */
  closeNow(): void;
  isOpen(): boolean;
}

export function openPipeReader(path: string, onChunk: (chunk: Buffer) => Promise<void>): Promise<PipeReader> {
  return new Promise((resolveOpen, rejectOpen) => {
    open(path, constants.O_RDONLY | constants.O_NONBLOCK, (openError, fd) => {
      if (openError) {
        rejectOpen(openError);
        return;
      }
      let stopping = false;
      let closed = false;
      let finish: () => void = () => {};
      let fail: (error: Error) => void = () => {};
      const done = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      const close = () => {
        if (closed) return;
        closed = true;
        closeSync(fd);
      };
      const loop = () => {
        if (stopping) {
          close();
          finish();
          return;
        }
        read(fd, Buffer.allocUnsafe(BUFFER_BYTES), 0, BUFFER_BYTES, null, (error, bytes, buffer) => {
          if (closed) return;
          if (error && (error as NodeJS.ErrnoException).code !== "EAGAIN") {
            close();
            fail(error);
            return;
          }
          if (error || bytes === 0) {
            setTimeout(loop, IDLE_WAIT_MS);
            return;
          }
          onChunk(buffer.subarray(0, bytes)).then(loop, (sinkError: Error) => {
            close();
            fail(sinkError);
          });
        });
      };
      loop();
      resolveOpen({
        done,
        stop() {
          stopping = true;
        },
        closeNow: close,
        isOpen: () => !closed,
      });
    });
  });
}
