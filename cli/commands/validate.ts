import { ConfigError } from '../../runtime/api/index.js';
import { validateConnectorConfig } from '../../runtime/config/index.js';
import { connectorPlugin, transformLookup, type PluginRegistry } from '../../runtime/worker/plugin-registry.js';
import { readConnectorFile } from '../connector-files.js';

/**
 * `conflux validate <file...>`: checks connector files offline against the plugin schemas.
 * Placeholders are not resolved (their values live where the worker runs), so a field holding
 * `${env:..}` is checked only as a string. Returns the number of invalid files.
 */
export async function validateFiles(paths: readonly string[], plugins: PluginRegistry, out: (line: string) => void): Promise<number> {
  let invalid = 0;
  for (const path of paths) {
    const errors: Array<{ key: string; message: string }> = [];
    try {
      const file = await readConnectorFile(path);
      const className = file.config['connector.class'];
      const definition = className ? connectorPlugin(plugins, className) : undefined;
      if (!definition) {
        errors.push({
          key: 'connector.class',
          message: className
            ? `unknown connector plugin '${className}' (known: ${Object.keys(plugins.connectors).join(', ') || 'none'})`
            : 'missing required key',
        });
      } else {
        const result = validateConnectorConfig(definition.config, file.config, { kind: definition.type, lookup: transformLookup(plugins) });
        if (!result.ok) errors.push(...result.errors);
        else errors.push(...(definition.validate?.(result.config as never) ?? []));
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(...err.errors);
    }
    if (errors.length === 0) {
      out(`ok       ${path}`);
    } else {
      invalid += 1;
      out(`invalid  ${path}`);
      for (const e of errors) out(`  ${e.key || '(file)'}: ${e.message}`);
    }
  }
  return invalid;
}
