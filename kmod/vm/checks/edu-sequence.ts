// The access sequence kmod/edu_mmio performs, as documented in kmod/edu_mmio/README.md. Both the
// raw-trace checks and the API checks compare against this one list.
export const EDU = {
  ID: 0x00,
  LIVENESS: 0x04,
  FACTORIAL: 0x08,
  STATUS: 0x20,
  IRQ_STATUS: 0x24,
  IRQ_RAISE: 0x60,
  IRQ_ACK: 0x64,
  DMA_SRC: 0x80,
};

/** One MMIO access: read or write, width in bytes, offset in BAR0, value. */
export type Access = readonly ["R" | "W", number, number, bigint];

/** One run of the probe sequence. */
export const probeSequence: Access[] = [
  ["R", 4, EDU.ID, 0x010000edn],
  ["W", 4, EDU.LIVENESS, 0x12345678n],
  ["R", 4, EDU.LIVENESS, 0xedcba987n],
  ["W", 4, EDU.FACTORIAL, 5n],
  ["R", 4, EDU.STATUS, 0n],
  ["R", 4, EDU.FACTORIAL, 0x78n],
  ["W", 4, EDU.IRQ_RAISE, 0x10000n],
  ["R", 4, EDU.IRQ_STATUS, 0x10000n],
  ["W", 4, EDU.IRQ_ACK, 0x10000n],
  ["R", 4, EDU.IRQ_STATUS, 0n],
  ["W", 8, EDU.DMA_SRC, 0x1122334455667788n],
  ["R", 8, EDU.DMA_SRC, 0x1122334455667788n],
  ["R", 4, EDU.DMA_SRC, 0x55667788n],
];
export const removeSequence: Access[] = [["W", 4, EDU.LIVENESS, 0xcafef00dn]];

/** Module parameters per scenario; the guest's /init uses the same values. */
export type ScenarioName = "basic" | "lost";
export const scenarios: Record<ScenarioName, { repeat: number; burst: number; bufferKb: number }> = {
  basic: { repeat: 1, burst: 0, bufferKb: 1024 },
  lost: { repeat: 3, burst: 1000, bufferKb: 4 },
};

export function expectedSequence(name: ScenarioName): Access[] {
  const s = scenarios[name];
  const out: Access[] = [];
  for (let i = 0; i < s.repeat; i++) {
    out.push(...probeSequence);
    for (let j = 0; j < s.burst; j++) out.push(["R", 4, EDU.ID, 0x010000edn]);
  }
  return [...out, ...removeSequence];
}
