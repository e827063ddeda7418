import t from 'tap';
import { copyField, copyRow } from '../../connectors/postgres-sink/copy-text.js';
import { isIdentifier, quoteIdent } from '../../connectors/postgres-sink/identifiers.js';

t.test('COPY text escapes backslash, tab, newline and carriage return, and writes NULL as \\N', async (t) => {
  t.equal(copyField(null), '\\N');
  t.equal(copyField(undefined), '\\N');
  t.equal(copyField('plain'), 'plain');
  t.equal(copyField('a\\b\tc\nd\re'), 'a\\\\b\\tc\\nd\\re');
  t.equal(copyField('\\N'), '\\\\N', 'the text \\N is not NULL');
  t.equal(copyField(12), '12');
  t.equal(copyField(9007199254740993n), '9007199254740993');
  t.equal(copyRow(['x', null, 3]), 'x\t\\N\t3\n');
});

t.test('identifiers are plain names, always quoted', async (t) => {
  t.equal(quoteIdent('fact_orders'), '"fact_orders"');
  t.equal(quoteIdent('Order'), '"Order"');
  for (const bad of ['', 'a"b', 'a;b', 'a.b', '1abc', 'a b', 'x'.repeat(64)]) {
    t.notOk(isIdentifier(bad), JSON.stringify(bad));
    t.throws(() => quoteIdent(bad));
  }
});
