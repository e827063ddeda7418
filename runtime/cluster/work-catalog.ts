import { isDeepStrictEqual } from 'node:util';
import type { RawConfig, Validated } from '../worker/connector-instance.js';
import type { Work } from './assignment.js';
import type { ConfigTopicStore } from './config-topic-store.js';

/** A connector's config as this worker validated it, and the task configs its plugin generates from it. */
export type CatalogEntry =
  { raw: RawConfig; ok: true; validated: Validated; taskConfigs: readonly unknown[] } | { raw: RawConfig; ok: false; error: Error; taskConfigs: readonly [] };

/**
 * The cluster's connectors as this worker understands them: each config from the config topic
 * validated here and split into task configs by its plugin (`taskConfigs`, a function of the
 * config). Every worker derives the same task configs from the same config, so they are not
 * written to the topic, where the resolved secrets they may hold would be readable by anyone who
 * can read the topic. Cached per config.
 *
 * The secrets a config resolves to are handed to `secrets` (the scrubber) here, on every worker,
 * not only on the one that runs the connector: any worker answers `GET /connectors/{name}/tasks`
 * from these task configs, and a task key that is not secret-named (`uri`) holds the resolved
 * value.
 */
export class WorkCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  constructor(
    private readonly configs: ConfigTopicStore,
    private readonly validate: (raw: RawConfig) => Promise<Validated>,
    private readonly secrets: (name: string, values: readonly string[]) => void = () => undefined,
  ) {}

  async entry(name: string): Promise<CatalogEntry | undefined> {
    const raw = this.configs.get(name)?.config;
    if (!raw) {
      if (this.entries.delete(name)) this.secrets(name, []);
      return undefined;
    }
    const cached = this.entries.get(name);
    if (cached && isDeepStrictEqual(cached.raw, raw)) return cached;
    let entry: CatalogEntry;
    try {
      const validated = await this.validate(raw);
      const taskConfigs = validated.definition.taskConfigs(validated.config as never, validated.config['tasks.max']);
      entry = { raw, ok: true, validated, taskConfigs };
      this.secrets(name, validated.secrets);
    } catch (err) {
      entry = { raw, ok: false, error: err as Error, taskConfigs: [] };
      this.secrets(name, []);
    }
    this.entries.set(name, entry);
    return entry;
  }

  /** The last entry computed, without waiting (reads on the REST path). */
  cached(name: string): CatalogEntry | undefined {
    const entry = this.entries.get(name);
    return entry && isDeepStrictEqual(entry.raw, this.configs.get(name)?.config) ? entry : undefined;
  }

  /** Every connector with its task count: what the leader assigns. */
  async work(): Promise<Work> {
    const out: Array<{ name: string; tasks: number }> = [];
    for (const name of this.configs.connectorNames()) {
      const entry = await this.entry(name);
      if (entry) out.push({ name, tasks: entry.taskConfigs.length });
    }
    return out;
  }
}
