export { createQueue, type IngestJob, ingestJob, JOBS, type JobName, queueName } from "./catalog";
export { redisConnection } from "./redis";
