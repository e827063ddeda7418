import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;

/**
 * An in-memory collection that records every document change in the {@link ChangeLog}, from the three hooks
 * every write path of the library goes through (insert, upsert, update, replace, findAndModify, delete), so each
 * changed document gives exactly one event, with the document as it was before and after the change. All
 * writes hold this collection's monitor (AbstractSynchronizedMongoCollection), so the log order is the
 * order the changes were applied in.
 */
final class TrackedCollection extends MemoryCollection {

  private final ChangeLog log;
  /** The update or replacement document of the write in progress; guarded by this collection's monitor. */
  private Document pendingUpdate;

  TrackedCollection(MongoDatabase database, String name, CollectionOptions options, CursorRegistry cursors, ChangeLog log) {
    super(database, name, options, cursors);
    this.log = log;
  }

  /** MongoDB emits no change events for system collections (system.indexes, system.namespaces, ...). */
  static boolean isSystem(String collectionName) {
    return collectionName.startsWith("system.");
  }

  private void record(String op, Object id, Document fullDocument, Document updateDescription) {
    if (!isSystem(getCollectionName())) {
      log.append(op, getDatabaseName(), getCollectionName(), id, fullDocument, updateDescription);
    }
  }

  @Override
  protected Integer addDocumentInternal(Document document) {
    Integer position = super.addDocumentInternal(document);
    record("insert", document.get("_id"), document.cloneDeeply(), null); // stored documents change in place later
    return position;
  }

  @Override
  protected void removeDocument(Integer position) {
    Object id = getDocument(position).get("_id");
    super.removeDocument(position);
    record("delete", id, null, null);
  }

  /** Called only when the document really changed: an update that changes nothing emits no event, as on MongoDB. */
  @Override
  protected void handleUpdate(Integer position, Document oldDocument, Document newDocument) {
    super.handleUpdate(position, oldDocument, newDocument);
    if (isReplacement(pendingUpdate)) {
      record("replace", newDocument.get("_id"), newDocument.cloneDeeply(), null);
    } else {
      record("update", newDocument.get("_id"), null, UpdateDescriptions.diff(oldDocument, newDocument));
    }
  }

  /** A replacement document has no update operators ($set, $inc, ...). */
  private static boolean isReplacement(Document update) {
    return update != null && !update.isEmpty() && update.keySet().stream().noneMatch(key -> key.startsWith("$"));
  }

  @Override
  public synchronized Document updateDocuments(Document selector, Document update, ArrayFilters arrayFilters,
                                               boolean isMulti, boolean isUpsert, Oplog oplog) {
    pendingUpdate = update;
    try {
      return super.updateDocuments(selector, update, arrayFilters, isMulti, isUpsert, oplog);
    } finally {
      pendingUpdate = null;
    }
  }

  @Override
  public synchronized Document findAndModify(Document query) {
    pendingUpdate = query.get("update") instanceof Document update ? update : null;
    try {
      return super.findAndModify(query);
    } finally {
      pendingUpdate = null;
    }
  }
}
