export { createQueue, type IngestJob, ingestJob, JOBS, type JobName, queueName } from "./catalog";
export { enqueueIngest, enqueueNewIngest, ingestPending } from "./enqueue";
export { redisConnection } from "./redis";
