import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { ConfigError } from '../api/index.js';
import type { WorkerConfig } from '../config/index.js';

/**
 * The TLS and SASL settings of the worker's Kafka clients from security.protocol, ssl.* and
 * sasl.* (validated together by the worker schema). PEM files are read once, at start; one that
 * cannot be read is a configuration error naming its key, never quoting it.
 */
export function kafkaSecurity(config: WorkerConfig): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const protocol = config['security.protocol'];
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: ConnectionOptions = {};
    const ca = pem(config, 'ssl.ca.location');
    if (ca) tls.ca = [ca];
    const cert = pem(config, 'ssl.certificate.location');
    const key = pem(config, 'ssl.key.location');
    if (cert && key) Object.assign(tls, { cert, key, ...(config['ssl.key.password'] ? { passphrase: config['ssl.key.password'] } : {}) });
    // Kafka's empty ssl.endpoint.identification.algorithm: the certificate need not name the host.
    if (config['ssl.endpoint.identification.algorithm'] === 'none') tls.checkServerIdentity = () => undefined;
    out.ssl = tls;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = config['sasl.mechanism']!.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512';
    out.sasl = { mechanism, username: config['sasl.username']!, password: config['sasl.password']! } as SASLOptions;
  }
  return out;
}

function pem(config: WorkerConfig, key: 'ssl.ca.location' | 'ssl.certificate.location' | 'ssl.key.location'): Buffer | undefined {
  const file = config[key];
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError([{ key, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
}
