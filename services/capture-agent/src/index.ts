export { type AgentConfig, loadConfig } from "./config";
export { main } from "./main";
export { createTraceChecker, type TraceSummary } from "./trace-check";
