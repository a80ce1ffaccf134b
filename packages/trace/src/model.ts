// The trace model built while parsing: PCI devices, mappings, and the resolution of every access
// to (device, BAR, offset) — through the live mapping of its map id first, the PCIDEV BARs second.

import type { Mapping } from "./model-types";
import { hex64 } from "./model-types";
import type { ParsedDevice } from "./pcidev";

const TWO32 = 4294967296;

interface Region {
  readonly start: number;
  readonly end: number;
  readonly device: number;
  readonly bar: number;
}

interface LiveMapping {
  readonly start: number;
  readonly end: number;
  readonly device: number;
  readonly bar: number;
  readonly barStart: number;
  readonly barEnd: number;
  readonly record: Mapping | null;
}

export interface ModelLimits {
  readonly maxMappings: number;
}

export class TraceModel {
  readonly devices: ParsedDevice[] = [];
  readonly mappings: Mapping[] = [];
  mappingsTruncated = false;
  private regions: Region[] = [];
  private readonly live = new Map<number, LiveMapping>();
  private cacheId = Number.NaN;
  /** Bumped whenever mappings or devices change, so callers can cache resolutions. */
  generation = 0;
  /** After a `resolve` through a mapping: the address range that resolves the same way. */
  hitStart = 0;
  hitEnd = 0;
  hitBarStart = 0;
  private cacheMap: LiveMapping | undefined = undefined;
  private lastRegion: Region | null = null;

  /** Results of the last `resolve`. */
  device = -1;
  bar = -1;
  offset = 0;
  viaMap = false;
  /** The last `resolve` found no live mapping for its map id. */
  unknownMap = false;

  constructor(private readonly limits: ModelLimits) {}

  addDevice(d: ParsedDevice): number {
    // A reopened trace_pipe prints the header again: the same line means the same device.
    const same = this.devices.find((x) => x.text === d.text);
    if (same) return same.index;
    this.devices.push(d);
    for (const b of d.bars) {
      if (b.space === "memory" && b.sizeNum > 0) {
        this.regions.push({ start: b.startNum, end: b.startNum + b.sizeNum, device: d.index, bar: b.index });
      }
    }
    this.lastRegion = null;
    this.cacheId = Number.NaN;
    this.generation++;
    return d.index;
  }

  private findRegion(addr: number): Region | null {
    const last = this.lastRegion;
    if (last !== null && addr >= last.start && addr < last.end) return last;
    for (const r of this.regions) {
      if (addr >= r.start && addr < r.end) {
        this.lastRegion = r;
        return r;
      }
    }
    return null;
  }

  /** Registers a MAP; returns false when the range lies outside every BAR. */
  map(
    mapId: number,
    physLo: number,
    physHi: number,
    lenLo: number,
    lenHi: number,
    virt: string,
    eventIndex: number,
    line: number,
    sec: number,
    usec: number,
  ): boolean {
    const start = physHi * TWO32 + physLo;
    const len = lenHi * TWO32 + lenLo;
    const r = this.findRegion(start);
    let record: Mapping | null = null;
    if (this.mappings.length < this.limits.maxMappings) {
      record = {
        mapId,
        eventIndex,
        line,
        phys: hex64(physLo, physHi),
        virt,
        length: hex64(lenLo, lenHi),
        device: r ? r.device : -1,
        bar: r ? r.bar : -1,
        barOffset: r ? `0x${(start - r.start).toString(16)}` : null,
        mappedAt: { sec, usec },
        unmappedAt: null,
        unmapEventIndex: null,
      };
      this.mappings.push(record);
    } else this.mappingsTruncated = true;
    this.live.set(mapId, {
      start,
      end: start + len,
      device: r ? r.device : -1,
      bar: r ? r.bar : -1,
      barStart: r ? r.start : 0,
      barEnd: r ? r.end : 0,
      record,
    });
    this.cacheId = Number.NaN;
    this.generation++;
    return r !== null;
  }

  /** Ends a mapping; returns false when the id was not mapped. */
  unmap(mapId: number, eventIndex: number, sec: number, usec: number): boolean {
    const m = this.live.get(mapId);
    if (m === undefined) return false;
    if (m.record) {
      m.record.unmappedAt = { sec, usec };
      m.record.unmapEventIndex = eventIndex;
    }
    this.live.delete(mapId);
    this.cacheId = Number.NaN;
    this.generation++;
    return true;
  }

  /** Resolves one access; results in `device`, `bar`, `offset`, `viaMap`, `unknownMap`. */
  resolve(mapId: number, addrLo: number, addrHi: number): void {
    const addr = addrHi * TWO32 + addrLo;
    let m: LiveMapping | undefined;
    if (mapId === this.cacheId) m = this.cacheMap;
    else {
      m = this.live.get(mapId);
      this.cacheId = mapId;
      this.cacheMap = m;
    }
    this.unknownMap = m === undefined;
    if (m !== undefined && m.device >= 0 && addr >= m.start && addr < m.end && addr < m.barEnd) {
      this.device = m.device;
      this.bar = m.bar;
      this.offset = addr - m.barStart;
      this.viaMap = true;
      this.hitStart = m.start;
      this.hitEnd = Math.min(m.end, m.barEnd);
      this.hitBarStart = m.barStart;
      return;
    }
    this.viaMap = false;
    const r = this.findRegion(addr);
    if (r === null) {
      this.device = -1;
      this.bar = -1;
      this.offset = 0;
    } else {
      this.device = r.device;
      this.bar = r.bar;
      this.offset = addr - r.start;
    }
  }
}
