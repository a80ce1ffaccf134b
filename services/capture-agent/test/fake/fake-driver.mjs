// Plays a driver: asks the fake kernel for N traced register accesses and returns once they are in its
// buffer, so markers written after this command come after the accesses, as with a real driver.
// Usage: node fake-driver.mjs ROOT COUNT
import { closeSync, existsSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

const [root, count] = process.argv.slice(2);
const ack = join(root, `ack-${process.pid}-${Date.now()}`);
const fd = openSync(join(root, "driver-requests"), "w");
writeSync(fd, `${count} ${ack}\n`);
closeSync(fd);
const deadline = Date.now() + 10_000;
while (!existsSync(ack)) {
  if (Date.now() > deadline) {
    console.error("fake kernel did not answer");
    process.exit(1);
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
}
rmSync(ack);
