/** Events per event-store block, and between annotator checkpoints (EVENT_BLOCK_EVENTS, CHECKPOINT_INTERVAL). */
export const DEFAULT_BLOCK_EVENTS = 4096;
export const DEFAULT_CHECKPOINT_INTERVAL = 4096;
