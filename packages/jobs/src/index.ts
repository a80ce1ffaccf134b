export { createQueue, type IngestJob, ingestJob, JOBS, type JobName, queueName } from "./catalog";
export { enqueueIngest, ingestPending } from "./enqueue";
export { redisConnection } from "./redis";
