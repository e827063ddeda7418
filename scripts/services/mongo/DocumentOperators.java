import de.bwaldvogel.mongo.backend.aggregation.Expression;
import de.bwaldvogel.mongo.bson.Document;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Expression operators the library lacks: MongoDB 7's {@code $toHashedIndexKey} ({@link HashedIndexKey}) and
 * MongoDB 4.4's {@code $bsonSize} ({@link BsonSize}). The library's expression evaluator cannot be extended, so
 * a stage that uses one is rewritten per document: every {@code {$op: x}} becomes {@code {$literal: result}}
 * evaluated on that document (and a {@code $mod} around a hash is computed exactly, see {@link #exactModulo}).
 */
final class DocumentOperators {
  static final Set<String> OPERATORS = Set.of(HashedIndexKey.OPERATOR, BsonSize.OPERATOR);

  private DocumentOperators() {}

  /** Whether one of the operators appears anywhere in this pipeline, stage or expression. */
  static boolean usedIn(Object value) {
    if (value instanceof Map<?, ?> map) {
      return map.keySet().stream().anyMatch(OPERATORS::contains) || map.values().stream().anyMatch(DocumentOperators::usedIn);
    }
    if (value instanceof List<?> list) return list.stream().anyMatch(DocumentOperators::usedIn);
    return false;
  }

  /** A copy of {@code value} with each use of an operator replaced by its result for {@code document}. */
  static Object substitute(Object value, Document document) {
    if (value instanceof Document expression) {
      if (expression.size() == 1 && expression.containsKey(HashedIndexKey.OPERATOR)) {
        return new Document("$literal", HashedIndexKey.hash(operand(expression, HashedIndexKey.OPERATOR, document)));
      }
      if (expression.size() == 1 && expression.containsKey(BsonSize.OPERATOR)) {
        return new Document("$literal", BsonSize.evaluate(operand(expression, BsonSize.OPERATOR, document)));
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

  private static Object operand(Document expression, String operator, Document document) {
    Object argument = expression.get(operator);
    // {$op: [x]} is the array form of {$op: x}, as for every one-argument operator
    if (argument instanceof List<?> list && list.size() == 1) argument = list.get(0);
    if ("$$ROOT".equals(argument)) return document;
    return Expression.evaluateDocument(substitute(argument, document), document);
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
}
