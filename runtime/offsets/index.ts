export type { OffsetEntry, OffsetStore, OffsetWrite, SourceOffset, SourcePartition } from './store.js';
export { FileOffsetStore, type FileOffsetStoreOptions, type FileOps } from './file-store.js';
export { MemoryOffsetStore } from './memory-store.js';
export { SubmittedRecords, type CommittableOffsets, type SubmittedRecord } from '../source/submitted-records.js';
export { stableKey } from './stable-key.js';
export { KafkaOffsetStore } from './kafka-store.js';
