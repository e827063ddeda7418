import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;

/** An in-memory database whose collections record their changes (see {@link TrackedCollection}). */
final class TrackedDatabase extends MemoryDatabase {
  private final ChangeLog log;

  TrackedDatabase(String name, CursorRegistry cursors, ChangeLog log) {
    super(name, cursors); // creates system.indexes and system.namespaces before this.log is set
    this.log = log;
  }

  @Override
  protected MemoryCollection openOrCreateCollection(String name, CollectionOptions options) {
    if (log == null || TrackedCollection.isSystem(name)) return super.openOrCreateCollection(name, options);
    return new TrackedCollection(this, name, options, cursorRegistry, log);
  }
}
