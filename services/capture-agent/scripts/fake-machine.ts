// A fake machine to try the agent on without an NVIDIA card or root tracing rights:
//   npx tsx services/capture-agent/scripts/fake-machine.ts
// prints the environment to export (MMIOHUB_TRACEFS, ...) and the fake driver command, then keeps the
// fake kernel running until Ctrl-C. See test/fake/README.md for what it emulates.
import { createFakeSystem } from "../test/fake/fake-system";

const system = createFakeSystem({
  cpus: 4,
  connectors: [{ name: "card0-DVI-I-1", status: "connected", modes: ["1920x1200"] }],
});
await system.startKernel();
for (const [key, value] of Object.entries(system.env)) console.log(`export ${key}=${value}`);
console.log(`# a driver doing 1000 register accesses: ${system.driverCommand(1000)}`);
const stop = () => {
  system.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
setInterval(() => {}, 1 << 30);
