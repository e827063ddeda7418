import de.bwaldvogel.mongo.bson.Document;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code updateDescription} of an update event, computed from the document before and after the update,
 * as MongoDB reports it: dotted paths of changed fields with their new values, removed fields, and arrays
 * that were shortened (with the values appended to an array as {@code array.index} paths).
 */
final class UpdateDescriptions {
  private UpdateDescriptions() {}

  static Document diff(Document before, Document after) {
    Document updated = new Document();
    List<String> removed = new ArrayList<>();
    List<Document> truncated = new ArrayList<>();
    diff("", before, after, updated, removed, truncated);
    return new Document("updatedFields", updated).append("removedFields", removed).append("truncatedArrays", truncated);
  }

  private static void diff(String prefix, Document before, Document after, Document updated, List<String> removed,
                           List<Document> truncated) {
    for (String key : before.keySet()) {
      if (!after.containsKey(key)) removed.add(prefix + key);
    }
    for (String key : after.keySet()) {
      Object old = before.get(key);
      Object now = after.get(key);
      String path = prefix + key;
      if (!before.containsKey(key)) {
        updated.put(path, now);
      } else if (old instanceof Document o && now instanceof Document n) {
        diff(path + ".", o, n, updated, removed, truncated);
      } else if (old instanceof List<?> o && now instanceof List<?> n && !o.equals(n)) {
        diffArray(path, o, n, updated, truncated);
      } else if (!Objects.equals(old, now)) { // 1 and 1.0 differ here: a type change is a change
        updated.put(path, now);
      }
    }
  }

  /** Appends and truncations are reported element-wise; any other change replaces the whole array. */
  private static void diffArray(String path, List<?> old, List<?> now, Document updated, List<Document> truncated) {
    int common = Math.min(old.size(), now.size());
    if (!old.subList(0, common).equals(now.subList(0, common))) {
      updated.put(path, now);
      return;
    }
    for (int i = common; i < now.size(); i++) updated.put(path + "." + i, now.get(i));
    if (now.size() < old.size()) truncated.add(new Document("field", path).append("newSize", now.size()));
  }
}
