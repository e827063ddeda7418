import t from 'tap';
import { SecretScrubber } from '../../runtime/observability/secret-scrubber.js';

// The runtime registers a resolved secret whole (a connection URI); drivers quote the pieces.
t.test('the password of a URL-valued secret is scrubbed alone, as written and decoded', async (t) => {
  const s = new SecretScrubber();
  s.set('orders-source', ['mongodb://app:S%40p3r%2Fpw@db1.internal:27017,db2.internal:27017/shop?replicaSet=rs0']);
  t.equal(s.scrub('Authentication failed: password S@p3r/pw refused'), 'Authentication failed: password [hidden] refused', 'decoded');
  t.equal(s.scrub('bad auth S%40p3r%2Fpw'), 'bad auth [hidden]', 'as written');
  t.equal(s.scrub('getaddrinfo ENOTFOUND db1.internal'), 'getaddrinfo ENOTFOUND db1.internal', 'hosts are not secrets');
});

t.test('every URL of a list has its password registered, and a URL without one adds nothing', async (t) => {
  const s = new SecretScrubber();
  s.set('c', ['postgres://a:first-pw@h1/db,postgres://b:second-pw@h2/db']);
  t.equal(s.scrub('first-pw second-pw'), '[hidden] [hidden]');
  const plain = new SecretScrubber();
  plain.set('c', ['http://registry.internal:8081']);
  t.equal(plain.scrub('GET http://registry.internal:8081/subjects 503'), 'GET [hidden]/subjects 503', 'the URL itself stays secret');
  t.equal(plain.scrub('registry.internal refused'), 'registry.internal refused');
});

t.test('a malformed escape in a password is registered as written', async (t) => {
  const s = new SecretScrubber();
  s.set('c', ['mongodb://app:bad%zzpw@db/shop']);
  t.equal(s.scrub('password bad%zzpw'), 'password [hidden]');
});

t.test('a password shorter than 8 characters is hidden only inside its URL: alone it is a word of ordinary text', async (t) => {
  const s = new SecretScrubber();
  s.set('c', ['postgres://conflux:conflux@127.0.0.1:15432/warehouse']);
  t.equal(s.scrub('conflux_process_resident_memory_bytes 1'), 'conflux_process_resident_memory_bytes 1', 'metric names survive');
  t.equal(s.scrub('connect postgres://conflux:conflux@127.0.0.1:15432/warehouse failed'), 'connect [hidden] failed');
});
