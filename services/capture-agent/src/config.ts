import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/** The optional config file: the same keys as the flags, so users can keep the server and token there. */
export const configFileSchema = z.object({
  server: z.url().optional(),
  token: z.string().min(1).optional(),
  queueDir: z.string().optional(),
  tracefs: z.string().optional(),
  bufferKb: z.number().int().positive().optional(),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** Where the agent looks at the machine and where it keeps its state: all overridable so tests use fakes. */
export interface AgentConfig {
  server: string | undefined;
  token: string | undefined;
  queueDir: string;
  /** Explicit tracing directory, or undefined to probe the kernel's usual places. */
  tracefs: string | undefined;
  sysRoot: string;
  procRoot: string;
  etcRoot: string;
  bufferKb: number;
}

export interface ConfigFlags {
  server?: string | undefined;
  token?: string | undefined;
  config?: string | undefined;
  "queue-dir"?: string | undefined;
  tracefs?: string | undefined;
  sysfs?: string | undefined;
  procfs?: string | undefined;
  "buffer-kb"?: string | undefined;
}

export const DEFAULT_BUFFER_KB = 128_000;

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
}

function defaultConfigPaths(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME ?? join(home, ".config");
  return [join(xdg, "mmiohub", "agent.json"), "/etc/mmiohub/agent.json"];
}

function readConfigFile(path: string, mustExist: boolean): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (!mustExist && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`config file ${path} is not valid JSON`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`config file ${path}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Flags win over the environment, which wins over the config file. */
export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const explicit = flags.config ?? env.MMIOHUB_AGENT_CONFIG;
  let file: ConfigFile = {};
  if (explicit !== undefined) file = readConfigFile(explicit, true);
  else {
    for (const path of defaultConfigPaths(env)) {
      file = readConfigFile(path, false);
      if (Object.keys(file).length > 0) break;
    }
  }
  const home = env.HOME ?? homedir();
  const stateHome = env.XDG_STATE_HOME ?? join(home, ".local", "state");
  const bufferText = flags["buffer-kb"] ?? env.MMIOHUB_BUFFER_KB;
  const bufferKb = bufferText === undefined ? (file.bufferKb ?? DEFAULT_BUFFER_KB) : Number(bufferText);
  if (!Number.isInteger(bufferKb) || bufferKb <= 0) {
    throw new ConfigError(`buffer size must be a positive number of KiB, got ${bufferText}`);
  }
  const server = flags.server ?? env.MMIOHUB_SERVER ?? file.server;
  if (server !== undefined && !z.url().safeParse(server).success) {
    throw new ConfigError(`server must be a URL such as https://mmiohub.example.org, got ${server}`);
  }
  return {
    server: server?.replace(/\/+$/, ""),
    token: flags.token ?? env.MMIOHUB_TOKEN ?? file.token,
    queueDir:
      flags["queue-dir"] ?? env.MMIOHUB_QUEUE_DIR ?? file.queueDir ?? join(stateHome, "mmiohub", "queue"),
    tracefs: flags.tracefs ?? env.MMIOHUB_TRACEFS ?? file.tracefs,
    sysRoot: flags.sysfs ?? env.MMIOHUB_SYSFS ?? "/sys",
    procRoot: flags.procfs ?? env.MMIOHUB_PROCFS ?? "/proc",
    etcRoot: env.MMIOHUB_ETC ?? "/etc",
    bufferKb,
  };
}
