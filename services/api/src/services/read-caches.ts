import type { Db } from "@mmiohub/db";
import type { SearchFilters } from "../schemas/search";
import { type ChangeFeed, ReadCache } from "./change-feed";
import { type BusyRegister, busiestRegisters, loadTrace, type TraceRow } from "./pages-trace";
import { type SearchOptions, type SearchResult, searchTraces } from "./search";

/**
 * `make(key, ...)` once per key object: for what is derived from an object the read caches hand
 * out (a trace row, a list of busiest registers), the same object until what it holds changes, so
 * the derived value is forgotten with it. Later calls with the same key return the first value,
 * whatever their other arguments.
 */
export function perObject<K extends object, A extends unknown[], V>(
  make: (key: K, ...args: A) => V,
): (key: K, ...args: A) => V {
  const made = new WeakMap<K, V>();
  return (key, ...args) => {
    if (made.has(key)) return made.get(key) as V;
    const value = make(key, ...args);
    made.set(key, value);
    return value;
  };
}

/**
 * What the API reads over and over and rarely changes: search answers (facet counts aggregate
 * every match, the costly part of a search), the trace rows behind every trace, sequence and events
 * request, and a trace's busiest registers. All are forgotten on any change (ChangeFeed).
 */
export class ReadCaches {
  private readonly search: ReadCache<SearchResult>;
  private readonly traces: ReadCache<TraceRow | null>;
  private readonly registers: ReadCache<BusyRegister[]>;

  constructor(
    private readonly db: Db,
    readonly feed: ChangeFeed | undefined,
    entries = 1000,
  ) {
    this.search = new ReadCache(feed, entries);
    this.traces = new ReadCache(feed, Math.ceil(entries / 8));
    this.registers = new ReadCache(feed, Math.ceil(entries / 4));
  }

  /**
   * This process just committed a change to what they hold (a submission's description,
   * visibility, withdrawal, status): forgotten at once, without waiting for the database's
   * notification of it (which other processes go by).
   */
  changed(): void {
    this.feed?.touch();
  }

  searchTraces(filters: SearchFilters, options: SearchOptions = {}): Promise<SearchResult> {
    const key = JSON.stringify([
      filters,
      options.includeHidden ?? false,
      options.withoutFacets ?? false,
      options.traceUrl?.("") ?? null,
    ]);
    return this.search.get(key, () => searchTraces(this.db, filters, options));
  }

  /** The trace row with what its pages need, whatever its visibility (callers check it). */
  trace(id: string): Promise<TraceRow | null> {
    return this.traces.get(id, () => loadTrace(this.db, id));
  }

  busiestRegisters(traceId: string, take: number): Promise<BusyRegister[]> {
    return this.registers.get(`${traceId}:${take}`, () => busiestRegisters(this.db, traceId, take));
  }
}
