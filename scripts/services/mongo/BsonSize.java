import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * BSON sizes, as MongoDB measures them: the {@code $bsonSize} expression (MongoDB 4.4+: the size of a document
 * encoded as BSON, null for null or missing) and the limits a change event must fit.
 */
final class BsonSize {
  static final String OPERATOR = "$bsonSize";
  /** BSONObjMaxUserSize: the largest document MongoDB returns, and the size above which events are split. */
  static final int MAX_USER = 16 * 1024 * 1024;
  /** BSONObjMaxInternalSize: above this, building a document fails with BSONObjectTooLarge (10334). */
  static final int MAX_INTERNAL = MAX_USER + 16 * 1024;

  private BsonSize() {}

  static int of(Document document) {
    ByteBuf buffer = PooledByteBufAllocator.DEFAULT.heapBuffer();
    try {
      BsonEncoder.encodeDocument(document, buffer);
      return buffer.readableBytes();
    } finally {
      buffer.release();
    }
  }

  static Object evaluate(Object operand) {
    if (operand == null || operand instanceof Missing) return null;
    if (operand instanceof Document document) return of(document);
    throw new MongoServerError(31393, "Location31393", "$bsonSize requires a document input, found: "
        + operand.getClass().getSimpleName());
  }

  /** MongoDB's error for a document over {@link #MAX_INTERNAL}, which names its first element. */
  static MongoServerError tooLarge(int size, Document document) {
    String first = document.isEmpty() ? "" : " First element: " + document.keySet().iterator().next() + ": "
        + document.values().iterator().next();
    return new MongoServerError(10334, "BSONObjectTooLarge", "BSONObj size: " + size + " (0x"
        + Integer.toHexString(size).toUpperCase() + ") is invalid. Size must be between 0 and " + MAX_INTERNAL + "(16MB)" + first);
  }
}
