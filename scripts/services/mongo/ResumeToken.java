import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * A resume token: {@code {_data: "82" + 16 hex digits of the cluster time + 2 of the kind}}, and for a fragment of
 * a split event ({@code $changeStreamSplitLargeEvent}) 4 more hex digits of its fragment number. Like MongoDB's,
 * the hex strings of one server sort in stream order; clients treat them as opaque. An invalidate event has its
 * own kind, so that {@code startAfter} can start a new stream after it while {@code resumeAfter} refuses it.
 */
record ResumeToken(long ts, boolean invalidate, int fragment) {
  private static final int EVENT = 0;
  private static final int INVALIDATE = 1;
  private static final int FRAGMENT = 2;

  ResumeToken(long ts, boolean invalidate) {
    this(ts, invalidate, 0);
  }

  /** The token of fragment {@code n} (from 1) of the event at {@code ts}. */
  static ResumeToken fragment(long ts, int n) {
    return new ResumeToken(ts, false, n);
  }

  Document toDocument() {
    if (fragment > 0) return new Document("_data", String.format("82%016X%02X%04X", ts, FRAGMENT, fragment));
    return new Document("_data", String.format("82%016X%02X", ts, invalidate ? INVALIDATE : EVENT));
  }

  static ResumeToken parse(Object value) {
    if (value instanceof Document token && token.get("_data") instanceof String data && data.startsWith("82")
        && (data.length() == 20 || data.length() == 24)) {
      try {
        long ts = Long.parseUnsignedLong(data.substring(2, 18), 16);
        int kind = Integer.parseInt(data.substring(18, 20), 16);
        if (data.length() == 20 && (kind == EVENT || kind == INVALIDATE)) return new ResumeToken(ts, kind == INVALIDATE);
        int fragment = data.length() == 24 ? Integer.parseInt(data.substring(20), 16) : 0;
        if (kind == FRAGMENT && fragment > 0) return fragment(ts, fragment);
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw new MongoServerError(260, "InvalidResumeToken", "malformed resume token: " + value);
  }
}
