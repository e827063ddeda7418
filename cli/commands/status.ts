import type { ConnectorStatus } from '../../runtime/tasks/status.js';
import type { WorkerClient } from '../http-client.js';
import { printTable } from '../table.js';

/** `conflux status [name]`: connectors and tasks as a table. */
export async function printStatus(client: WorkerClient, name: string | undefined, out: (line: string) => void): Promise<number> {
  let statuses: ConnectorStatus[];
  if (name) {
    statuses = [await client.request<ConnectorStatus>('GET', `/connectors/${encodeURIComponent(name)}/status`)];
  } else {
    const all = await client.request<Record<string, { status: ConnectorStatus }>>('GET', '/connectors?expand=status');
    statuses = Object.values(all).map((v) => v.status);
  }
  const rows: string[][] = [['CONNECTOR', 'TYPE', 'TASK', 'STATE', 'WORKER', 'ERROR']];
  for (const s of statuses.sort((a, b) => a.name.localeCompare(b.name))) {
    rows.push([s.name, s.type, '-', s.connector.state, s.connector.worker_id, firstLine(s.connector.trace)]);
    for (const t of s.tasks) rows.push(['', '', String(t.id), t.state, t.worker_id, firstLine(t.trace)]);
  }
  printTable(rows, out);
  return statuses.some((s) => s.connector.state === 'FAILED' || s.tasks.some((t) => t.state === 'FAILED')) ? 1 : 0;
}

function firstLine(trace: string | undefined): string {
  return trace ? trace.split('\n')[0]!.slice(0, 120) : '';
}
