import type { z } from "zod";

/** Start-up failure with a message that names every bad or missing variable. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Validates an environment against one zod object schema. Parsing happens when called, never at
 * import time, so tests pass their own `source` instead of patching process.env.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<S> {
  // Empty strings mean "unset" in shells and compose files alike.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const value = cleaned[name];
    const shown = value === undefined ? "missing" : `got ${JSON.stringify(value.slice(0, 80))}`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}
