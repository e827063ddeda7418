import type { Message, TopicMessages } from 'kafkajs';

/**
 * A record batch's fixed header (Kafka's message format v2), paid once per partition of a request.
 */
export const BATCH_OVERHEAD_BYTES = 61;
/** Upper bound of a v2 record's own varint fields: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_OVERHEAD_BYTES = 36;
/** Upper bound of a header's key and value length varints. */
const HEADER_OVERHEAD_BYTES = 10;

const byteLength = (v: Buffer | string | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/**
 * An upper bound of what `message` adds to a record batch, uncompressed: what the broker's
 * message.max.bytes is checked against when the topic is not compressed.
 */
export function recordBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + byteLength(v as Buffer | string | undefined);
  }
  return bytes;
}

/** One produce request: its messages by topic, the handles to acknowledge when it succeeded. */
export interface ProduceRequest<H> {
  readonly topicMessages: TopicMessages[];
  readonly handles: H[];
}

/**
 * Cuts a converted poll into produce requests of at most `maxBytes` each (estimated with
 * {@link recordBytes} plus a batch header per request), keeping the order of the messages: sent
 * one after another, the requests deliver exactly what one request would have, in the same order.
 * A message that alone exceeds the budget is the caller's to reject before adding it.
 */
export class ProduceRequestBuilder<H> {
  private readonly done: ProduceRequest<H>[] = [];
  private byTopic = new Map<string, Message[]>();
  private handles: H[] = [];
  private bytes = BATCH_OVERHEAD_BYTES;

  constructor(private readonly maxBytes: number) {}

  /** Whether a message of `bytes` fits in a request at all. */
  fits(bytes: number): boolean {
    return bytes + BATCH_OVERHEAD_BYTES <= this.maxBytes;
  }

  add(topic: string, message: Message, bytes: number, handle: H): void {
    if (this.handles.length > 0 && this.bytes + bytes > this.maxBytes) this.cut();
    let messages = this.byTopic.get(topic);
    if (!messages) this.byTopic.set(topic, (messages = []));
    messages.push(message);
    this.handles.push(handle);
    this.bytes += bytes;
  }

  /** The requests, in order; none when nothing was added. */
  finish(): ProduceRequest<H>[] {
    if (this.handles.length > 0) this.cut();
    return this.done;
  }

  private cut(): void {
    const topicMessages: TopicMessages[] = [];
    for (const [topic, messages] of this.byTopic) topicMessages.push({ topic, messages });
    this.done.push({ topicMessages, handles: this.handles });
    this.byTopic = new Map();
    this.handles = [];
    this.bytes = BATCH_OVERHEAD_BYTES;
  }
}
