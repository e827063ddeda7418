import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.exception.MongoServerError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * MongoDB 7's {@code $toHashedIndexKey} expression, which the library lacks. The hash is MongoDB's hashed-index
 * hash: MD5 over a zero seed, the value's canonical BSON type and its BSON value, numbers first truncated to a
 * 64-bit integer; the first 8 bytes of the digest, little-endian, are the result. Strings, numbers, ObjectIds,
 * booleans, dates and null follow that layout (checked against the example in MongoDB's documentation);
 * embedded documents and arrays are hashed element by element, which is deterministic but not checked
 * against mongod.
 *
 * <p>Stages that use it are rewritten per document by {@link DocumentOperators}.
 */
final class HashedIndexKey {
  static final String OPERATOR = "$toHashedIndexKey";

  private HashedIndexKey() {}

  static long hash(Object value) {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    md5.update(int32(0)); // seed
    append(md5, value);
    return ByteBuffer.wrap(md5.digest(), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static void append(MessageDigest md5, Object value) {
    if (value == null || value instanceof Missing) {
      md5.update(int32(5));
    } else if (value instanceof Number number) {
      md5.update(int32(10));
      long truncated = number instanceof Double || number instanceof Float ? (long) number.doubleValue() : number.longValue();
      md5.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(truncated).array());
    } else if (value instanceof String string) {
      byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
      md5.update(int32(15));
      md5.update(int32(bytes.length + 1));
      md5.update(bytes);
      md5.update((byte) 0);
    } else if (value instanceof ObjectId id) {
      md5.update(int32(35));
      md5.update(id.toByteArray());
    } else if (value instanceof Boolean bool) {
      md5.update(int32(40));
      md5.update((byte) (bool ? 1 : 0));
    } else if (value instanceof Instant || value instanceof Date) {
      long millis = value instanceof Instant instant ? instant.toEpochMilli() : ((Date) value).getTime();
      md5.update(int32(45));
      md5.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(millis).array());
    } else if (value instanceof Document document) {
      md5.update(int32(20));
      document.forEach((key, inner) -> {
        md5.update(key.getBytes(StandardCharsets.UTF_8));
        md5.update((byte) 0);
        append(md5, inner);
      });
    } else if (value instanceof List<?> list) {
      md5.update(int32(25));
      for (Object inner : list) append(md5, inner);
    } else {
      throw new MongoServerError(2, "BadValue", OPERATOR + " does not support values of type "
          + value.getClass().getSimpleName() + " on this test server");
    }
  }

  private static byte[] int32(int value) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
  }
}
