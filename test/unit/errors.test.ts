import t from 'tap';
import {
  BadRequestError,
  ConfigError,
  ConflictError,
  DataError,
  ERROR_CATALOGUE,
  FatalError,
  NotFoundError,
  RetriableError,
  StageError,
  UnauthorizedError,
  ForbiddenError,
  catalogueEntry,
  classify,
  isRetriable,
  type ErrorKind,
} from '../../runtime/errors.js';

t.test('catalogue: unique codes, every kind documented', async (t) => {
  const codes = ERROR_CATALOGUE.map((e) => e.code);
  t.equal(new Set(codes).size, codes.length, 'codes are unique');
  for (const e of ERROR_CATALOGUE) {
    t.match(e.code, /^CONFLUX_ERR_[A-Z_]+$/, `${e.kind} code format`);
    t.ok(e.description.length > 20, `${e.kind} has a description`);
    t.ok(e.status >= 400 && e.status < 600, `${e.kind} status`);
  }
  const kinds: ErrorKind[] = ['retriable', 'data', 'config', 'fatal', 'not-found', 'conflict', 'unauthorized', 'forbidden', 'bad-request'];
  t.same(ERROR_CATALOGUE.map((e) => e.kind).sort(), [...kinds].sort());
  t.equal(catalogueEntry('config').status, 400);
  t.equal(catalogueEntry('not-found').status, 404);
  t.equal(catalogueEntry('conflict').status, 409);
  t.equal(catalogueEntry('unauthorized').status, 401);
  t.equal(catalogueEntry('forbidden').status, 403);
  t.equal(catalogueEntry('retriable').next, 'retry');
  t.equal(catalogueEntry('data').next, 'dead-letter');
  t.equal(catalogueEntry('fatal').next, 'fail-task');
});

t.test('classify conflux errors by kind', async (t) => {
  t.equal(classify(new RetriableError('x')), 'retriable');
  t.equal(classify(new DataError('x')), 'data');
  t.equal(classify(new ConfigError('x')), 'config');
  t.equal(classify(new FatalError('x')), 'fatal');
  t.equal(classify(new NotFoundError('x')), 'not-found');
  t.equal(classify(new ConflictError('x')), 'conflict');
  t.equal(classify(new UnauthorizedError('x')), 'unauthorized');
  t.equal(classify(new BadRequestError('x')), 'bad-request');
  t.equal(classify(new ForbiddenError('x')), 'forbidden');
});

function kafkaError(name: string, retriable: boolean, cause?: unknown): Error {
  return Object.assign(new Error('kafka'), { name, retriable, cause });
}

t.test('classify kafkajs errors by their retriable flag', async (t) => {
  t.equal(classify(kafkaError('KafkaJSConnectionError', true)), 'retriable');
  t.equal(classify(kafkaError('KafkaJSProtocolError', false)), 'fatal');
  t.equal(classify(kafkaError('KafkaJSNumberOfRetriesExceeded', false, kafkaError('KafkaJSConnectionError', true))), 'retriable');
  t.equal(classify(kafkaError('KafkaJSNumberOfRetriesExceeded', false, new Error('?'))), 'fatal');
});

t.test('classify Node, PostgreSQL and MongoDB transient errors as retriable', async (t) => {
  for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE']) {
    t.equal(classify(Object.assign(new Error(code), { code })), 'retriable', code);
  }
  t.equal(classify(Object.assign(new Error('pg'), { code: '08006' })), 'retriable', 'pg connection failure');
  t.equal(classify(Object.assign(new Error('pg'), { code: '40001' })), 'retriable', 'pg serialization failure');
  t.equal(classify(Object.assign(new Error('pg'), { code: '23505' })), 'fatal', 'pg unique violation is not retried');
  t.equal(classify(Object.assign(new Error('m'), { name: 'MongoNetworkError' })), 'retriable');
  t.equal(classify(Object.assign(new Error('m'), { errorLabelSet: new Set(['ResumableChangeStreamError']) })), 'retriable');
  t.equal(classify(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })])), 'retriable');
  t.ok(isRetriable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })));
});

t.test('unknown errors are fatal, except inside record stages', async (t) => {
  t.equal(classify(new TypeError('bug')), 'fatal');
  t.equal(classify('a string'), 'fatal');
  t.equal(classify(null), 'fatal');
  t.equal(classify(new StageError('transform:parse', new TypeError('bad field'))), 'data');
  t.equal(classify(new StageError('convert:value', new Error('bad avro'))), 'data');
  t.equal(classify(new StageError('transform:enrich', new RetriableError('db down'))), 'retriable');
  t.equal(classify(new StageError('transform:x', new FatalError('no'))), 'fatal', 'explicit fatal stays fatal');
  t.equal(classify(new StageError('put', new Error('x'))), 'fatal');
  const s = new StageError('transform:parse', new Error('boom'));
  t.equal(s.stage, 'transform:parse');
  t.equal(s.message, 'transform:parse: boom');
});
