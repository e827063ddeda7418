import de.bwaldvogel.mongo.bson.Document;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code $type} aliases that MongoDB accepts ("$type: Available Types") but the library does not know, because
 * it cannot store values of those types: symbol, javascript, javascriptWithScope, dbPointer, undefined. No
 * document here can hold such a value, so a {@code $type} naming only them matches nothing, and in a list of
 * aliases they are dropped. Applied to query filters ({@code find}, {@code count}) and {@code $match} stages.
 */
final class TypeAliases {
  private static final Set<String> UNSTORABLE = Set.of("symbol", "javascript", "javascriptWithScope", "dbPointer", "undefined");
  private static final Set<Integer> UNSTORABLE_CODES = Set.of(14, 13, 15, 12, 6);

  private TypeAliases() {}

  /** Rewrites every {@code $type} operator inside {@code filter} (a Document, or lists of them) in place. */
  static void rewrite(Object filter) {
    if (filter instanceof List<?> list) {
      for (Object item : list) rewrite(item);
      return;
    }
    if (!(filter instanceof Document document)) return;
    Object type = document.get("$type");
    if (type != null) {
      List<Object> kept = new ArrayList<>();
      List<?> names = type instanceof List<?> l ? l : List.of(type);
      for (Object name : names) if (!unstorable(name)) kept.add(name);
      if (kept.size() != names.size()) {
        document.remove("$type");
        // $in of nothing matches nothing, which is what a $type of only unstorable types matches here.
        if (kept.isEmpty()) document.put("$in", List.of());
        else document.put("$type", kept);
      }
    }
    for (Object value : document.values()) rewrite(value);
  }

  /** Rewrites the filters of the {@code $match} stages of an aggregation pipeline in place. */
  static void rewritePipeline(Object pipeline) {
    if (!(pipeline instanceof List<?> stages)) return;
    for (Object stage : stages) {
      if (stage instanceof Document d && d.get("$match") != null) rewrite(d.get("$match"));
    }
  }

  private static boolean unstorable(Object name) {
    if (name instanceof String s) return UNSTORABLE.contains(s);
    if (name instanceof Number n) return UNSTORABLE_CODES.contains(n.intValue());
    return false;
  }
}
