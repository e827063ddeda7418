import de.bwaldvogel.mongo.bson.Document;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * MongoDB 7.0's (and 6.0.9's) {@code $changeStreamSplitLargeEvent}, as its manual describes it: an event over
 * 16 MB is cut into fragments by its top-level fields (subdocuments are never split), as many fields as fit going
 * into the first fragment so that the event's context arrives first. Every fragment carries its own resume token
 * as {@code _id} and {@code splitEvent: {fragment: n, of: total}}; a top-level field that cannot fit a fragment
 * alone fails the stream with BSONObjectTooLarge.
 */
final class SplitLargeEvent {
  static final String STAGE = "$changeStreamSplitLargeEvent";
  /** Room for a fragment's _id and splitEvent besides its fields. */
  private static final int FRAGMENT_OVERHEAD = 1024;

  private SplitLargeEvent() {}

  /** The event itself when it fits, else its fragments; {@code ts} is the event's cluster time. */
  static List<Document> split(Document event, int size, long ts) {
    if (size <= BsonSize.MAX_USER) return List.of(event);
    List<Map.Entry<String, Object>> fields = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    for (Map.Entry<String, Object> field : event.entrySet()) {
      if (field.getKey().equals("_id")) continue;
      fields.add(field);
      sizes.add(BsonSize.of(new Document(field.getKey(), field.getValue())));
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < fields.size(); i++) order.add(i);
    order.sort(Comparator.comparing(sizes::get)); // smallest first: the most fields in the first fragment
    List<List<Integer>> fragments = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    long used = FRAGMENT_OVERHEAD;
    for (int i : order) {
      if (sizes.get(i) + FRAGMENT_OVERHEAD > BsonSize.MAX_USER) throw BsonSize.tooLarge(size, event);
      if (used + sizes.get(i) > BsonSize.MAX_USER && !current.isEmpty()) {
        fragments.add(current);
        current = new ArrayList<>();
        used = FRAGMENT_OVERHEAD;
      }
      current.add(i);
      used += sizes.get(i);
    }
    if (!current.isEmpty()) fragments.add(current);
    List<Document> out = new ArrayList<>(fragments.size());
    for (int n = 0; n < fragments.size(); n++) {
      List<Integer> members = new ArrayList<>(fragments.get(n));
      members.sort(Comparator.naturalOrder()); // a fragment keeps the event's field order
      Document fragment = new Document("_id", ResumeToken.fragment(ts, n + 1).toDocument())
          .append("splitEvent", new Document("fragment", n + 1).append("of", fragments.size()));
      for (int i : members) fragment.append(fields.get(i).getKey(), fields.get(i).getValue());
      out.add(fragment);
    }
    return out;
  }
}
