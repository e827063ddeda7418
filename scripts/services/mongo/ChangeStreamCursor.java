import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An open change stream: its scope (a collection, a database or the cluster), its position in the
 * {@link ChangeLog} and the pipeline stages after {@code $changeStream}. Each batch reads the log from the
 * position on, so its cost is the entries read, never the size of the history.
 *
 * <p>As on MongoDB, an event over 16 MB fails the stream with BSONObjectTooLarge (10334) unless the pipeline
 * ends with {@code $changeStreamSplitLargeEvent} ({@link SplitLargeEvent}), and a batch holds at most 16 MB of
 * events (at least one): what does not fit waits for the next getMore, and the batch's postBatchResumeToken is
 * then the token of its last event.
 */
final class ChangeStreamCursor extends AbstractCursor {
  /** Events per batch when the client gives no batchSize (MongoDB's limit is 16 MB per batch). */
  private static final int DEFAULT_BATCH = 10_000;
  private static final Set<String> INTERNAL_DATABASES = Set.of("admin", "config", "local");

  private final ChangeLog log;
  private final ChangeStreamBackend backend;
  private final String db; // null: the whole cluster
  private final String coll; // null: the whole database (or cluster)
  private final boolean updateLookup;
  private final Pipelines pipeline;
  private final boolean splitLargeEvents;
  /** Events (or fragments) read from the log but not yet returned, with their BSON sizes. */
  private final Deque<Sized> pending = new ArrayDeque<>();
  /** A stream resumed from a fragment's token skips the fragments up to it of the event at {@code skipTs}. */
  private long skipTs = -1;
  private int skipFragments;
  private long position;
  private ChangeLog.Entry pendingInvalidate; // resumed after a drop that invalidates this stream
  private ResumeToken resumeToken;
  private boolean closed;

  ChangeStreamCursor(long id, ChangeLog log, ChangeStreamBackend backend, String db, String coll, boolean updateLookup,
                     Pipelines pipeline, boolean splitLargeEvents, long position) {
    super(id);
    this.log = log;
    this.backend = backend;
    this.db = db;
    this.coll = coll;
    this.updateLookup = updateLookup;
    this.pipeline = pipeline;
    this.splitLargeEvents = splitLargeEvents;
    this.position = position;
    this.resumeToken = new ResumeToken(position, false);
  }

  boolean matches(ChangeLog.Entry entry) {
    if (db == null) return !INTERNAL_DATABASES.contains(entry.db());
    return db.equals(entry.db()) && (coll == null || coll.equals(entry.coll()));
  }

  /**
   * Dropping or renaming the watched collection (dropping the watched database) ends its stream with an
   * invalidate event; cluster streams go on.
   */
  boolean invalidatedBy(ChangeLog.Entry entry) {
    if (db == null || !matches(entry)) return false;
    return coll == null ? entry.op().equals("dropDatabase") : entry.op().equals("drop") || entry.op().equals("rename");
  }

  void invalidateFirst(ChangeLog.Entry drop) {
    pendingInvalidate = drop;
  }

  /** Resuming from fragment {@code fragment} of the event at {@code ts}: the stream starts with the next fragment. */
  void resumeAfterFragment(long ts, int fragment) {
    skipTs = ts;
    skipFragments = fragment;
  }

  private record Sized(Document document, int size) {}

  boolean isClosed() {
    return closed;
  }

  /** The postBatchResumeToken: where a reader that stores it resumes, even when the batch had no events. */
  synchronized Document postBatchResumeToken() {
    return resumeToken.toDocument();
  }

  /** The next events, waiting up to {@code awaitMillis} while there are none. */
  synchronized List<Document> next(int batchSize, long awaitMillis) {
    int max = batchSize > 0 ? batchSize : DEFAULT_BATCH;
    if (!pending.isEmpty()) return drain(max);
    if (pendingInvalidate != null) {
      List<Document> out = new ArrayList<>();
      out.add(invalidate(pendingInvalidate));
      return out;
    }
    long deadline = System.nanoTime() + awaitMillis * 1_000_000;
    for (;;) {
      ChangeLog.Slice slice;
      try {
        slice = log.read(position, this::matches, max, deadline);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new ArrayList<>();
      }
      List<ChangeLog.Entry> entries = slice.entries();
      long scannedTo = slice.scannedTo();
      ChangeLog.Entry invalidating = null;
      for (int i = 0; i < entries.size(); i++) {
        if (invalidatedBy(entries.get(i))) {
          invalidating = entries.get(i);
          entries = entries.subList(0, i + 1);
          scannedTo = invalidating.ts();
          break;
        }
      }
      // The log lock is released here: looking documents up takes collection locks, which writers hold while logging.
      List<Document> events = new ArrayList<>(entries.size());
      for (ChangeLog.Entry entry : entries) events.add(toEvent(entry));
      Set<Object> ids = new HashSet<>();
      for (Document event : events) ids.add(event.get("_id"));
      for (Document event : checkIds(ids, pipeline.run(events))) deliver(event);
      position = scannedTo;
      if (invalidating != null) {
        Document invalidate = invalidate(invalidating);
        pending.add(new Sized(invalidate, 0));
        closed = false; // closed once the invalidate event is returned
      }
      if (!pending.isEmpty()) return drain(max);
      resumeToken = new ResumeToken(position, false);
      if (System.nanoTime() >= deadline) return new ArrayList<>();
    }
  }

  /** Queues an event the pipeline returned, split or refused when over the limits. */
  private void deliver(Document event) {
    int size = BsonSize.of(event);
    long ts = ResumeToken.parse(event.get("_id")).ts();
    if (!splitLargeEvents) {
      if (size > BsonSize.MAX_INTERNAL) throw BsonSize.tooLarge(size, event);
      pending.add(new Sized(event, size));
      return;
    }
    for (Document fragment : SplitLargeEvent.split(event, size, ts)) {
      Object split = fragment.get("splitEvent");
      if (ts == skipTs && split instanceof Document s && ((Number) s.get("fragment")).intValue() <= skipFragments) continue;
      pending.add(new Sized(fragment, split == null ? size : BsonSize.of(fragment)));
    }
    if (ts >= skipTs) skipTs = -1;
  }

  /** Up to {@code max} queued events, no more than 16 MB in all but at least one. */
  private List<Document> drain(int max) {
    List<Document> out = new ArrayList<>();
    long bytes = 0;
    while (!pending.isEmpty() && out.size() < max) {
      Sized next = pending.peek();
      if (!out.isEmpty() && bytes + next.size() > BsonSize.MAX_USER) break;
      pending.poll();
      out.add(next.document());
      bytes += next.size();
      if ("invalidate".equals(next.document().get("operationType"))) {
        closed = true;
        resumeToken = ResumeToken.parse(next.document().get("_id"));
        pending.clear();
        return out;
      }
    }
    resumeToken = pending.isEmpty() ? new ResumeToken(position, false) : ResumeToken.parse(out.get(out.size() - 1).get("_id"));
    return out;
  }

  private Document invalidate(ChangeLog.Entry drop) {
    closed = true;
    resumeToken = new ResumeToken(drop.ts(), true);
    return new Document("_id", resumeToken.toDocument())
        .append("operationType", "invalidate")
        .append("clusterTime", new BsonTimestamp(drop.ts()))
        .append("wallTime", drop.wall());
  }

  private Document toEvent(ChangeLog.Entry entry) {
    Document event = new Document("_id", new ResumeToken(entry.ts(), false).toDocument())
        .append("operationType", entry.op())
        .append("clusterTime", new BsonTimestamp(entry.ts()))
        .append("wallTime", entry.wall());
    if (entry.fullDocument() != null) {
      event.append("fullDocument", entry.fullDocument().cloneDeeply());
    } else if (entry.op().equals("update") && updateLookup) {
      event.append("fullDocument", backend.findById(entry.db(), entry.coll(), entry.id())); // null once deleted
    }
    Document ns = new Document("db", entry.db());
    if (entry.coll() != null) ns.append("coll", entry.coll());
    event.append("ns", ns);
    if (entry.to() != null) event.append("to", entry.to().cloneDeeply());
    if (entry.id() != null) event.append("documentKey", new Document("_id", entry.id()));
    if (entry.updateDescription() != null) event.append("updateDescription", entry.updateDescription().cloneDeeply());
    return event;
  }

  /** MongoDB refuses pipelines that change an event's _id: the stream could no longer be resumed from it. */
  private static List<Document> checkIds(Set<Object> ids, List<Document> output) {
    for (Document event : output) {
      if (!ids.contains(event.get("_id"))) {
        throw new MongoServerError(280, "ChangeStreamFatalError", "Encountered an event whose _id field, which contains "
            + "the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible "
            + "to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.");
      }
    }
    return output;
  }

  @Override
  public boolean isEmpty() {
    return closed;
  }

  @Override
  public List<Document> takeDocuments(int numberToReturn) {
    return next(numberToReturn, 0); // only reached through the library's legacy OP_GET_MORE path
  }
}
