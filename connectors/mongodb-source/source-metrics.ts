import type { Counter, Gauge, TaskMetrics } from '../../runtime/api/index.js';

/** The connector's own metrics (the runtime prefixes them with conflux_plugin_ and labels them by connector and task). */
export interface SourceMetrics {
  readonly positionAge: Gauge;
  readonly snapshotCopied: Counter;
  readonly snapshotRemaining: Gauge;
  readonly snapshotsStarted: Counter;
  readonly tokenLostResnapshots: Counter;
  readonly heartbeats: Counter;
  readonly oversizeSkipped: Counter;
  readonly splitEvents: Counter;
  readonly incrementalRead: Counter;
}

export function sourceMetrics(metrics: TaskMetrics): SourceMetrics {
  return {
    positionAge: metrics.gauge(
      'source_position_age_seconds',
      'Age of the oldest position this task handed to the runtime for storing (change time, or heartbeat time on quiet streams), in seconds.',
    ),
    snapshotCopied: metrics.counter('snapshot_documents_copied_total', 'Documents copied by snapshots.'),
    snapshotRemaining: metrics.gauge('snapshot_documents_remaining', 'Documents still to copy by the running snapshots (estimated total minus copied).'),
    snapshotsStarted: metrics.counter('snapshots_started_total', 'Snapshots started (first start, or token.lost.policy=resnapshot).'),
    tokenLostResnapshots: metrics.counter('token_lost_resnapshots_total', 'Collections copied again because their resume position had left the oplog.'),
    heartbeats: metrics.counter('heartbeats_total', "Positions moved to a quiet stream's postBatchResumeToken."),
    oversizeSkipped: metrics.counter(
      'oversize_events_skipped_total',
      "Change events over MongoDB's 16 MB limit skipped and dead-lettered (cursor.oversize.handling.mode=skip).",
    ),
    splitEvents: metrics.counter('split_events_total', 'Change events received in fragments and put back together (cursor.oversize.handling.mode=split).'),
    incrementalRead: metrics.counter('incremental_snapshot_documents_total', 'Documents read by incremental snapshots (POST /connectors/{name}/snapshots).'),
  };
}
