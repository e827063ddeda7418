import type { ReplayResult } from '../../runtime/herder/dead-letter-replay.js';
import type { DeadLetters } from '../../runtime/tasks/dead-letter-reader.js';
import type { WorkerClient } from '../http-client.js';
import { printTable } from '../table.js';

export interface DlqOptions {
  readonly connector: string;
  readonly rule?: string;
  readonly limit: number;
  readonly json: boolean;
}

/** `conflux dlq list|show|replay <connector>`: the dead-letter topic's rules with counts, its latest records, or a replay. */
export async function dlq(client: WorkerClient, action: 'list' | 'show' | 'replay', o: DlqOptions, out: (line: string) => void): Promise<number> {
  if (action === 'replay') return replay(client, o, out);
  const query = new URLSearchParams({ limit: String(action === 'list' ? 0 : o.limit) });
  if (o.rule !== undefined) query.set('rule', o.rule);
  const result = await client.request<DeadLetters>('GET', `/connectors/${encodeURIComponent(o.connector)}/dead-letters?${query}`);
  if (o.json) {
    out(JSON.stringify(action === 'list' ? { ...result, records: undefined } : result, null, 2));
    return 0;
  }
  const scope = result.scanned < result.total ? ` (newest ${result.scanned} of ${result.total} read)` : '';
  if (action === 'list') {
    out(`${result.topic}: ${result.total} records${scope}`);
    printTable([['RULE', 'STAGE', 'COUNT', 'FIRST', 'LAST'], ...result.groups.map((g) => [g.rule, g.stage, String(g.count), g.first, g.last])], out);
    return 0;
  }
  out(`${result.topic}: ${result.records.length} newest${o.rule ? ` of rule ${o.rule}` : ''}${scope}`);
  for (const r of result.records) {
    out(`--- partition ${r.partition} offset ${r.offset} at ${r.timestamp}: ${r.rule} (${r.stage})`);
    out(`key: ${JSON.stringify(r.key)}`);
    out(`value: ${JSON.stringify(r.value)}`);
    for (const [name, value] of Object.entries(r.headers)) if (name.startsWith('conflux.error.')) out(`${name}: ${value}`);
  }
  return 0;
}

async function replay(client: WorkerClient, o: DlqOptions, out: (line: string) => void): Promise<number> {
  const body = o.rule !== undefined ? { rule: o.rule } : {};
  const result = await client.request<ReplayResult>('POST', `/connectors/${encodeURIComponent(o.connector)}/dead-letters/replay`, body);
  if (o.json) {
    out(JSON.stringify(result, null, 2));
    return 0;
  }
  for (const r of result.replays) out(`${r.keys} keys of ${r.topic}: read again from ${r.source} (${r.collection}), snapshot ${r.snapshot.id}`);
  for (const s of result.skipped) out(`${s.records} dead letters of ${s.topic} not replayed: ${s.reason}`);
  if (result.replays.length > 0) out(`follow it: curl .../connectors/<source>/snapshots/<id>; the records carry conflux.snapshot.id`);
  return result.replays.length > 0 ? 0 : 1;
}
