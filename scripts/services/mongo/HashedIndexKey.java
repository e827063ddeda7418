import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.aggregation.Expression;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.exception.MongoServerError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * MongoDB 7's {@code $toHashedIndexKey} expression, which the library lacks. The hash is MongoDB's hashed-index
 * hash: MD5 over a zero seed, the value's canonical BSON type and its BSON value, numbers first truncated to a
 * 64-bit integer; the first 8 bytes of the digest, little-endian, are the result. Strings, numbers, ObjectIds,
 * booleans, dates and null follow that layout (checked against the example in MongoDB's documentation);
 * embedded documents and arrays are hashed element by element, which is deterministic but not checked
 * against mongod.
 *
 * <p>The library's expression evaluator cannot be extended, so a stage that uses the operator is rewritten per
 * document: every {@code {$toHashedIndexKey: x}} becomes {@code {$literal: hash(x)}} evaluated on that document
 * (and a {@code $mod} around it is computed exactly, see {@link #exactModulo}).
 */
final class HashedIndexKey {
  static final String OPERATOR = "$toHashedIndexKey";

  private HashedIndexKey() {}

  /** Whether the operator appears anywhere in this pipeline, stage or expression. */
  static boolean usedIn(Object value) {
    if (value instanceof Map<?, ?> map) {
      return map.containsKey(OPERATOR) || map.values().stream().anyMatch(HashedIndexKey::usedIn);
    }
    if (value instanceof List<?> list) return list.stream().anyMatch(HashedIndexKey::usedIn);
    return false;
  }

  /** A copy of {@code value} with each use of the operator replaced by its result for {@code document}. */
  static Object substitute(Object value, Document document) {
    if (value instanceof Document expression) {
      if (expression.size() == 1 && expression.containsKey(OPERATOR)) {
        Object operand = Expression.evaluateDocument(substitute(expression.get(OPERATOR), document), document);
        return new Document("$literal", hash(operand));
      }
      if (expression.size() == 1 && expression.get("$mod") instanceof List<?> operands && usedIn(operands)) {
        return exactModulo(operands, document);
      }
      Document copy = new Document();
      expression.forEach((key, inner) -> copy.put(key, substitute(inner, document)));
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      for (Object inner : list) copy.add(substitute(inner, document));
      return copy;
    }
    return value;
  }

  /**
   * The library's $mod computes in double precision, which garbles 64-bit hashes (a hash share would put nearly
   * every _id in share 0); on integers MongoDB's $mod is exact, with the sign of the dividend, as Java's %.
   */
  private static Object exactModulo(List<?> operands, Document document) {
    Object substituted = substitute(operands, document);
    List<?> args = (List<?>) substituted;
    if (args.size() == 2) {
      Object dividend = Expression.evaluateDocument(args.get(0), document);
      Object divisor = Expression.evaluateDocument(args.get(1), document);
      if ((dividend instanceof Long || dividend instanceof Integer) && (divisor instanceof Long || divisor instanceof Integer)
          && ((Number) divisor).longValue() != 0) {
        long result = ((Number) dividend).longValue() % ((Number) divisor).longValue();
        return new Document("$literal", dividend instanceof Long || divisor instanceof Long ? (Object) result : (Object) (int) result);
      }
    }
    return new Document("$mod", substituted);
  }

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
