import type { IHeaders, Producer } from 'kafkajs';

/** Where a record failed: `poll`, `transform:<alias>`, `convert`, `produce`, `put`. */
export type ErrorStage = string;

/** The record as it was before the failing stage, in Kafka terms. */
export interface DeadLetterPayload {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: IHeaders;
  topic?: string;
  partition?: number;
  offset?: string;
}

export const DLQ_HEADER = {
  stage: 'conflux.error.stage',
  class: 'conflux.error.class',
  message: 'conflux.error.message',
  topic: 'conflux.error.topic',
  partition: 'conflux.error.partition',
  offset: 'conflux.error.offset',
  connector: 'conflux.error.connector',
  task: 'conflux.error.task',
  stack: 'conflux.error.stacktrace',
} as const;

/**
 * Writes rejected records to the dead-letter topic with the reason in `conflux.error.*` headers.
 * The producer is the worker's shared one (acks=all); a failed DLQ write propagates, so a record
 * is never both rejected and lost.
 */
export class DeadLetterWriter {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly connector: string,
    private readonly taskId: number,
    private readonly headersOf: { readonly context: boolean; readonly stackTrace: boolean },
    private readonly scrub: (text: string) => string,
  ) {}

  async send(payload: DeadLetterPayload, stage: ErrorStage, error: Error): Promise<void> {
    const headers: IHeaders = { ...payload.headers };
    if (this.headersOf.context) {
      headers[DLQ_HEADER.stage] = stage;
      headers[DLQ_HEADER.class] = error.name || 'Error';
      headers[DLQ_HEADER.message] = this.scrub(error.message).slice(0, 4096);
      headers[DLQ_HEADER.connector] = this.connector;
      headers[DLQ_HEADER.task] = String(this.taskId);
      if (payload.topic !== undefined) headers[DLQ_HEADER.topic] = payload.topic;
      if (payload.partition !== undefined) headers[DLQ_HEADER.partition] = String(payload.partition);
      if (payload.offset !== undefined) headers[DLQ_HEADER.offset] = payload.offset;
      // A stack names files, versions and the code path: for whoever reads the topic only on request.
      if (this.headersOf.stackTrace && error.stack) headers[DLQ_HEADER.stack] = this.scrub(error.stack).slice(0, 8192);
    }
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: payload.key, value: payload.value, headers }],
    });
  }
}
