import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The server's change history, standing in for mongo-java-server's collection-backed oplog (whose readers
 * re-scan and re-sort the whole oplog on every getMore). One entry per changed document, dropped collection or
 * dropped database, in commit order, each with a unique, increasing cluster time. At most {@code maxEntries} are
 * kept; a reader positioned before the oldest kept entry gets ChangeStreamHistoryLost (286), as on MongoDB when
 * the oplog has rolled over. Reading costs O(log n) to find the position plus the entries read.
 *
 * <p>Document writes are recorded by {@link TrackedCollection}, which sees the document before and after; the
 * {@link Oplog} callbacks of the library only give ids, so all but the drop callback are ignored.
 */
final class ChangeLog implements Oplog {

  /**
   * A recorded change. {@code coll} is null for dropDatabase, {@code id} null for drops and renames;
   * {@code to} is the new namespace of a rename.
   */
  record Entry(long ts, Instant wall, String op, String db, String coll, Object id, Document fullDocument,
               Document updateDescription, Document to) {}

  /** Entries read by one call, and the cluster time up to which the log was examined. */
  record Slice(List<Entry> entries, long scannedTo) {}

  private final int maxEntries;
  private final ArrayList<Entry> entries = new ArrayList<>();
  private int first; // index in entries of the oldest entry still kept
  private long lastTs; // cluster time of the newest entry (or of the server start)
  private long lostUpTo; // history at and before this cluster time is gone (server start, or truncated)

  ChangeLog(int maxEntries) {
    if (maxEntries < 1) throw new IllegalArgumentException("the change history must keep at least 1 entry");
    this.maxEntries = maxEntries;
    this.lastTs = nextTs();
    // Nothing from before this process exists: tokens of an earlier run are lost history, not an empty stream.
    this.lostUpTo = lastTs;
  }

  /** Seconds since the epoch in the high 32 bits, an increment within the second in the low 32, as MongoDB. */
  private long nextTs() {
    long seconds = System.currentTimeMillis() / 1000;
    return seconds > (lastTs >>> 32) ? (seconds << 32) | 1 : lastTs + 1;
  }

  void append(String op, String db, String coll, Object id, Document fullDocument, Document update) {
    append(op, db, coll, id, fullDocument, update, null);
  }

  synchronized void append(String op, String db, String coll, Object id, Document fullDocument, Document update, Document to) {
    lastTs = nextTs();
    entries.add(new Entry(lastTs, Instant.now(), op, db, coll, id, fullDocument, update, to));
    while (entries.size() - first > maxEntries) {
      lostUpTo = entries.get(first).ts();
      entries.set(first++, null);
    }
    if (first > 4096 && first > entries.size() / 2) { // compact now and then: amortised O(1) per append
      entries.subList(0, first).clear();
      first = 0;
    }
    notifyAll();
  }

  synchronized long lastTs() {
    return lastTs;
  }

  /** The entry recorded at exactly this cluster time, or null. */
  synchronized Entry find(long ts) {
    int i = indexAfter(ts - 1);
    return i < entries.size() && entries.get(i).ts() == ts ? entries.get(i) : null;
  }

  /**
   * Entries after {@code after} that pass {@code filter}, at most {@code max}; waits until {@code deadlineNanos}
   * (System.nanoTime) while there are none.
   */
  synchronized Slice read(long after, Predicate<Entry> filter, int max, long deadlineNanos) throws InterruptedException {
    for (;;) {
      if (after < lostUpTo) throw historyLost();
      List<Entry> found = new ArrayList<>();
      long scannedTo = Math.max(after, lastTs);
      for (int i = indexAfter(after); i < entries.size(); i++) {
        Entry entry = entries.get(i);
        if (filter.test(entry)) {
          found.add(entry);
          if (found.size() >= max) {
            scannedTo = entry.ts();
            break;
          }
        }
      }
      long waitNanos = deadlineNanos - System.nanoTime();
      if (!found.isEmpty() || waitNanos <= 0) return new Slice(found, scannedTo);
      after = scannedTo;
      wait(Math.max(1, waitNanos / 1_000_000));
    }
  }

  static MongoServerError historyLost() {
    return new MongoServerError(286, "ChangeStreamHistoryLost",
        "Resume of change stream was not possible, as the resume point may no longer be in the oplog.");
  }

  /** Index of the first kept entry with a cluster time after {@code ts} (binary search: entries are ordered). */
  private int indexAfter(long ts) {
    int lo = first, hi = entries.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (entries.get(mid).ts() <= ts) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // --- the library's Oplog callbacks ---

  @Override
  public void handleInsert(String namespace, List<Document> documents) {} // recorded by TrackedCollection

  @Override
  public void handleUpdate(String namespace, Document selector, Document query, List<Object> modifiedIds) {}

  @Override
  public void handleDelete(String namespace, Document query, List<Object> deletedIds) {}

  @Override
  public void handleDropCollection(String namespace) {
    int dot = namespace.indexOf('.');
    String coll = namespace.substring(dot + 1);
    if (!TrackedCollection.isSystem(coll)) append("drop", namespace.substring(0, dot), coll, null, null, null);
  }

  @Override
  public Cursor createCursor(Document changeStream, String namespace, Aggregation aggregation) {
    throw new IllegalStateException("change streams are opened by ChangeStreamBackend");
  }
}
