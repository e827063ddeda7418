import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * A resume token: {@code {_data: "82" + 16 hex digits of the cluster time + 2 of the kind}}. Like MongoDB's, the
 * hex strings of one server sort in stream order; clients treat them as opaque. An invalidate event has its own
 * kind, so that {@code startAfter} can start a new stream after it while {@code resumeAfter} refuses it.
 */
record ResumeToken(long ts, boolean invalidate) {

  Document toDocument() {
    return new Document("_data", String.format("82%016X%02X", ts, invalidate ? 1 : 0));
  }

  static ResumeToken parse(Object value) {
    if (value instanceof Document token && token.get("_data") instanceof String data
        && data.length() == 20 && data.startsWith("82")) {
      try {
        long ts = Long.parseUnsignedLong(data.substring(2, 18), 16);
        int kind = Integer.parseInt(data.substring(18), 16);
        if (kind == 0 || kind == 1) return new ResumeToken(ts, kind == 1);
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw new MongoServerError(260, "InvalidResumeToken", "malformed resume token: " + value);
  }
}
