export { commonEnv, databaseUrl, redisUrl, storageDir } from "./common";
export { ConfigError, parseEnv } from "./parse-env";
