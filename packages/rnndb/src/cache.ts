import { fileURLToPath } from "node:url";
import { RegisterDatabase } from "./database";
import { directorySource } from "./fs-source";

const opened = new Map<string, RegisterDatabase>();

/**
 * Opens a database directory once per process: loading and preparing the whole NV_MMIO database
 * is the costly part, and every trace of the same kind of card reuses it (with its per-chip
 * compiled lookups).
 */
export function openDatabase(dir: string, entry: string): RegisterDatabase {
  const key = `${dir}\0${entry}`;
  let db = opened.get(key);
  if (!db) {
    db = RegisterDatabase.load(entry, directorySource(dir));
    opened.set(key, db);
  }
  return db;
}

/** envytools' database: the `rnndb/` folder of an envytools checkout, entry nv_mmio.xml. */
export function openEnvytoolsDatabase(dir: string): RegisterDatabase {
  return openDatabase(dir, "nv_mmio.xml");
}

/** Databases shipped in this package, for devices envytools does not cover. */
export const builtinDatabases = {
  /** QEMU's edu device (PCI 1234:11e8), domain EDU */
  edu: { dir: fileURLToPath(new URL("../databases/edu", import.meta.url)), entry: "edu.xml", domain: "EDU" },
} as const;

export function openBuiltinDatabase(name: keyof typeof builtinDatabases): RegisterDatabase {
  const b = builtinDatabases[name];
  return openDatabase(b.dir, b.entry);
}
