import { describe, expect, it } from "vitest";
import { TraceAnnotator } from "../src/index";
import { annotate, nvidia, parseAll, sample } from "./helpers";

describe("checkpoints", () => {
  it.each(["gk107_hand.mmiotrace", "gt215_i2c_seq.mmiotrace", "edu-qemu.mmiotrace"])(
    "%s: resuming from a JSON snapshot after any event gives the same text",
    (name) => {
      const text = sample(name);
      const whole = annotate(text);
      const { batch, devices } = parseAll(text);
      for (let k = 0; k <= batch.length; k++) {
        const first = new TraceAnnotator({ nvidia });
        first.batch(batch, devices, 0, k);
        const state = JSON.parse(JSON.stringify(first.snapshot(devices)));
        const second = new TraceAnnotator({ nvidia });
        second.restore(devices, state);
        second.batch(batch, devices, k, batch.length);
        second.end();
        expect(first.writer.take() + second.writer.take(), `split before event ${k}`).toBe(whole);
      }
    },
  );

  it.each(["gk107_hand.mmiotrace", "gt215_i2c_seq.mmiotrace", "edu-qemu.mmiotrace"])(
    "%s: skipping to any event (state only, no text) then annotating gives the text from there",
    (name) => {
      const text = sample(name);
      const { batch, devices } = parseAll(text);
      for (let k = 0; k <= batch.length; k++) {
        const full = new TraceAnnotator({ nvidia });
        full.batch(batch, devices, 0, k);
        full.writer.take();
        const atK = full.snapshot(devices);
        full.batch(batch, devices, k, batch.length);
        full.end();
        const skipped = new TraceAnnotator({ nvidia });
        skipped.skip(batch, devices, 0, k);
        expect(skipped.writer.pending, `text written while skipping to ${k}`).toBe(0);
        expect(skipped.snapshot(devices), `state after skipping to ${k}`).toEqual(atK);
        skipped.batch(batch, devices, k, batch.length);
        skipped.end();
        expect(skipped.writer.take(), `annotated from event ${k}`).toBe(full.writer.take());
      }
    },
  );

  it("is small: the state of a card mid-transaction is under 1.5 KB of JSON", () => {
    const { batch, devices } = parseAll(sample("gt215_i2c_seq.mmiotrace"));
    const t = new TraceAnnotator({ nvidia });
    t.batch(batch, devices, 0, 40); // inside the I2C transaction
    const json = JSON.stringify(t.snapshot(devices));
    expect(json.length).toBeLessThan(1500);
    expect(JSON.parse(json).cards[0].chipset).toBe(0xa3);
    expect(JSON.parse(json).cards[0].i2c[0].text).toMatch(/^START >a0\+ /);
  });

  it("a snapshot is a copy: annotating on, or restoring from it, leaves it as it was", () => {
    const { batch, devices } = parseAll(sample("gt215_i2c_seq.mmiotrace"));
    const t = new TraceAnnotator({ nvidia });
    t.batch(batch, devices, 0, 40); // inside the I2C transaction
    const snap = t.snapshot(devices);
    const json = JSON.stringify(snap);
    t.batch(batch, devices, 40, batch.length);
    const other = new TraceAnnotator({ nvidia });
    other.restore(devices, snap);
    other.batch(batch, devices, 40, batch.length);
    expect(JSON.stringify(snap)).toBe(json);
    expect(JSON.stringify(t.snapshot(devices))).not.toBe(json);
  });

  it("refuses a snapshot of another trace's cards", () => {
    const { devices } = parseAll(sample("gk107_hand.mmiotrace"));
    const t = new TraceAnnotator({ nvidia });
    expect(() => t.restore(devices, { version: 1, cards: [] })).toThrow(/does not belong/);
  });
});

describe("card descriptions", () => {
  it("say which database version and chip variant annotated each card", () => {
    const { batch, devices } = parseAll(sample("gk107_hand.mmiotrace"));
    const t = new TraceAnnotator({ nvidia });
    t.batch(batch, devices);
    expect(t.describeCards(devices)).toEqual([
      {
        card: 0,
        device: 1,
        domain: "NV_MMIO",
        databaseVersion: nvidia.version,
        chipset: 0xe7,
        variant: "GK107",
      },
    ]);
  });
});
