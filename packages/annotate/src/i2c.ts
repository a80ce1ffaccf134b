import type { I2cBusState } from "./state";

/** NV50+ bit-banging bus registers, in demmio's bus order. */
export const I2C_BUS_REGISTERS: readonly number[] = [
  0xe138, 0xe150, 0xe168, 0xe180, 0xe254, 0xe274, 0xe764, 0xe780, 0xe79c, 0xe7b8,
];

export function i2cBus(offset: number): number {
  return (offset & 0xfff000) === 0xe000 ? I2C_BUS_REGISTERS.indexOf(offset) : -1;
}

const SCL = 1;
const SDA = 2;

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/**
 * A read of the bus register: completes a bit or an ACK the slave drives (demmio's doi2cr).
 */
export function i2cRead(s: I2cBusState, byte: number): void {
  s.text ??= "";
  if (!s.pend) return;
  if (s.bits === 8) {
    s.text += byte & SDA ? "- " : "+ ";
    if (!s.aok) {
      s.aok = true;
      s.wr = !(s.b & 1);
    }
    s.bits = 0;
    s.b = 0;
  } else {
    s.b = (s.b << 1) | ((byte & SDA) >> 1);
    s.bits++;
    if (s.bits === 8) s.text += `<${hex2(s.b)}`;
  }
  s.pend = false;
}

/**
 * A write of the bus register (demmio's doi2cw). Returns "start", "stop" or undefined so the
 * caller can end the transaction's line and switch SLEEP lines off and on as demmio does.
 */
export function i2cWrite(s: I2cBusState, byte: number): "start" | "stop" | undefined {
  s.text ??= "";
  let event: "start" | "stop" | undefined;
  if (!s.last) s.last = 7;
  if (byte & SCL && !(s.last & SCL)) {
    if (s.pend) {
      s.text += "LOST! ";
      i2cRead(s, 0);
      s.pend = false;
    }
    if (s.bits === 8) {
      if (s.wr || !s.aok) {
        s.pend = true;
      } else {
        s.text += byte & SDA ? "- " : "+ ";
        s.bits = 0;
        s.b = 0;
      }
    } else if (s.wr || !s.aok) {
      s.b = (s.b << 1) | ((byte & SDA) >> 1);
      s.bits++;
      if (s.bits === 8) s.text += `>${hex2(s.b)}`;
    } else {
      s.pend = true;
    }
  }
  if (byte & SCL && !(byte & SDA) && s.last & SDA) {
    s.text += "START ";
    reset(s);
    event = "start";
  }
  if (byte & SCL && byte & SDA && !(s.last & SDA)) {
    s.text += "STOP";
    reset(s);
    event = "stop";
  }
  s.last = byte;
  return event;
}

function reset(s: I2cBusState): void {
  s.bits = 0;
  s.b = 0;
  s.aok = false;
  s.wr = false;
  s.pend = false;
}
