import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * mongo-java-server's in-memory backend, extended where MongoDB's documented behaviour needs it:
 * <ul>
 *   <li>{@code hello}/{@code isMaster} answer as the primary of the one-member replica set {@value #REPLICA_SET},
 *       or, in standalone mode, as a standalone mongod: without the replica set fields, and refusing
 *       {@code $changeStream} with MongoDB's error 40573;
 *   <li>collections record their changes in a bounded {@link ChangeLog} (installed as the oplog), and
 *       renameCollection a rename event;
 *   <li>{@code aggregate} with {@code $changeStream} and its {@code getMore}s are served by {@link ChangeStreamCursor};
 *   <li>{@code $toHashedIndexKey} (and a leading {@code $documents} stage) in aggregations;
 *   <li>{@code $type} aliases of types the library cannot store ({@link TypeAliases}).
 * </ul>
 */
final class ChangeStreamBackend extends MemoryBackend {
  static final String REPLICA_SET = "rs0";

  private static final Set<String> CHANGE_STREAM_OPTIONS = Set.of("fullDocument", "fullDocumentBeforeChange",
      "resumeAfter", "startAfter", "startAtOperationTime", "allChangesForCluster", "showExpandedEvents");
  /** The stages MongoDB allows after $changeStream. */
  private static final Set<String> CHANGE_STREAM_STAGES = Set.of("$match", "$project", "$addFields", "$set", "$unset",
      "$replaceRoot", "$replaceWith", "$redact");
  /** MongoDB's default wait of a getMore on an awaitData cursor when the client sends no maxTimeMS. */
  private static final long DEFAULT_AWAIT_MILLIS = 1000;
  private static final int DEFAULT_FIRST_BATCH = 101;

  private final ChangeLog log;
  private final String me; // host:port, as clients reach this server
  /** A standalone mongod rather than a replica set member: no replica set fields, no change streams. */
  private final boolean standalone;
  private final ObjectId electionId = new ObjectId("7fffffff0000000000000001");
  private final ReportedVersion version;

  ChangeStreamBackend(ChangeLog log, String me, boolean standalone, ReportedVersion version) {
    this.log = log;
    this.me = me;
    this.standalone = standalone;
    this.version = version;
    version(version);
  }

  @Override
  public MemoryDatabase openOrCreateDatabase(String name) {
    return new TrackedDatabase(name, getCursorRegistry(), log);
  }

  @Override
  protected Oplog createOplog() {
    return log;
  }

  @Override
  public void dropDatabase(String name) {
    boolean existed = listDatabaseNames().contains(name);
    super.dropDatabase(name); // logs a drop per collection
    if (existed) log.append("dropDatabase", name, null, null, null, null);
  }

  /**
   * Every reply of a replica set member carries the operationTime of the command (manual: "Causal
   * Consistency"); a read saw every write up to it. Taken after the command ran, it bounds what the
   * command read from above, as MongoDB's read timestamp does.
   */
  @Override
  public Document handleCommand(Channel channel, String db, String command, Document query) {
    Document response = dispatch(channel, db, command, query);
    if (!standalone && response != null && !response.containsKey("operationTime")) {
      response.append("operationTime", new BsonTimestamp(log.lastTs()));
    }
    return response;
  }

  private Document dispatch(Channel channel, String db, String command, Document query) {
    switch (command.toLowerCase(Locale.ROOT)) {
      case "hello", "ismaster" -> {
        return hello(command.equals("hello"));
      }
      case "find" -> TypeAliases.rewrite(query.get("filter"));
      case "count" -> TypeAliases.rewrite(query.get("query"));
      case "aggregate" -> {
        TypeAliases.rewritePipeline(query.get("pipeline"));
        List<Document> pipeline = Aggregation.parse(query.get("pipeline"));
        boolean leadingDocuments = !pipeline.isEmpty() && pipeline.get(0).containsKey("$documents");
        if (!pipeline.isEmpty() && pipeline.get(0).containsKey("$changeStream")) {
          // What a standalone mongod answers (code 40573): change streams need a replica set's oplog.
          if (standalone) throw new MongoServerError(40573, "Location40573", "The $changeStream stage is only supported on replica sets");
          return openChangeStream(db, query, pipeline);
        }
        if (leadingDocuments || DocumentOperators.usedIn(pipeline)) return aggregate(db, query, pipeline);
      }
      case "renamecollection" -> {
        if (db.equals("admin")) return renameCollection(channel, command, query);
      }
      case "getmore" -> {
        long id = ((Number) query.get(command)).longValue();
        if (getCursorRegistry().getCursor(id) instanceof ChangeStreamCursor cursor) return getMore(db, query, cursor);
      }
      default -> {
      }
    }
    return super.handleCommand(channel, db, command, query);
  }

  /** A rename event on the old namespace; a dropped target (dropTarget) is logged by the library's drop. */
  private Document renameCollection(Channel channel, String command, Document query) {
    String from = String.valueOf(query.get(command));
    String to = String.valueOf(query.get("to"));
    Document response = super.handleCommand(channel, "admin", command, query);
    if (!from.equals(to)) {
      int dot = from.indexOf('.');
      int toDot = to.indexOf('.');
      log.append("rename", from.substring(0, dot), from.substring(dot + 1), null, null, null,
          new Document("db", to.substring(0, toDot)).append("coll", to.substring(toDot + 1)));
    }
    return response;
  }

  /**
   * MongoDB's hello: the fields of every role, plus, for a replica set member, the replica set fields (hosts,
   * setName, setVersion, primary, me, secondary, electionId, lastWrite). A standalone mongod reports none of those.
   */
  private Document hello(boolean isHello) {
    Document response = new Document(isHello ? "isWritablePrimary" : "ismaster", true)
        .append("helloOk", true);
    if (!standalone) {
      response.append("hosts", List.of(me))
          .append("setName", REPLICA_SET)
          .append("setVersion", 1)
          .append("primary", me)
          .append("me", me)
          .append("secondary", false)
          .append("electionId", electionId)
          .append("lastWrite", new Document("opTime", new Document("ts", new BsonTimestamp(log.lastTs())).append("t", 1L))
              .append("lastWriteDate", Instant.now()));
    }
    response.append("maxBsonObjectSize", 16 * 1024 * 1024)
        .append("maxMessageSizeBytes", 48_000_000)
        .append("maxWriteBatchSize", 100_000)
        .append("localTime", Instant.now())
        .append("minWireVersion", 0)
        .append("maxWireVersion", version.getWireVersion())
        .append("readOnly", false);
    Utils.markOkay(response);
    return response;
  }

  private Document openChangeStream(String db, Document query, List<Document> pipeline) {
    Document spec = (Document) pipeline.get(0).get("$changeStream");
    for (String key : spec.keySet()) {
      if (!CHANGE_STREAM_OPTIONS.contains(key)) {
        throw new MongoServerError(40415, "Location40415", "BSON field '$changeStream." + key + "' is an unknown field.");
      }
    }
    Object fullDocument = spec.getOrDefault("fullDocument", "default");
    if (fullDocument.equals("whenAvailable") || fullDocument.equals("required")) {
      throw new MongoServerError(2, "BadValue", "fullDocument: '" + fullDocument + "' needs post-images, which this "
          + "test server does not record; use 'updateLookup'");
    }
    if (!fullDocument.equals("default") && !fullDocument.equals("updateLookup")) {
      throw new MongoServerError(2, "BadValue", "unknown fullDocument option: " + fullDocument);
    }
    Object before = spec.getOrDefault("fullDocumentBeforeChange", "off");
    if (!before.equals("off")) {
      throw new MongoServerError(2, "BadValue", "fullDocumentBeforeChange: '" + before + "' needs pre-images, which this "
          + "test server does not record");
    }
    List<Document> stages = pipeline.subList(1, pipeline.size());
    boolean split = !stages.isEmpty() && stages.get(stages.size() - 1).containsKey(SplitLargeEvent.STAGE);
    for (int i = 0; i < stages.size(); i++) {
      String name = stages.get(i).keySet().iterator().next();
      if (name.equals(SplitLargeEvent.STAGE)) {
        if (!version.splitsLargeEvents()) throw new MongoServerError(40324, "Location40324", "Unrecognized pipeline stage name: '" + name + "'");
        if (i != stages.size() - 1) throw new MongoServerError(2, "BadValue", name + " must be the last stage of the pipeline");
        continue;
      }
      if (!CHANGE_STREAM_STAGES.contains(name)) {
        throw new MongoServerError(2, "BadValue", name + " is not permitted in a $changeStream pipeline");
      }
    }

    Object target = query.get("aggregate");
    boolean cluster = Boolean.TRUE.equals(spec.get("allChangesForCluster"));
    String coll = target instanceof String name ? name : null;
    if (coll == null && !(target instanceof Number n && n.intValue() == 1)) {
      throw new MongoServerError(2, "BadValue", "aggregate takes a collection name or 1");
    }
    if (cluster != (db.equals("admin") && coll == null)) {
      throw new MongoServerError(73, "InvalidNamespace",
          "allChangesForCluster needs aggregate: 1 on the admin database, and the admin database has no other change streams");
    }
    String streamDb = cluster ? null : db;
    MongoDatabase database = cluster ? null : resolveDatabase(db);
    Pipelines compiled = new Pipelines(split ? stages.subList(0, stages.size() - 1) : stages,
        s -> Aggregation.fromPipeline(s, this::resolveDatabase, database, null, log));

    Object resumeAfter = spec.get("resumeAfter");
    Object startAfter = spec.get("startAfter");
    Object startAt = spec.get("startAtOperationTime");
    if ((resumeAfter != null ? 1 : 0) + (startAfter != null ? 1 : 0) + (startAt != null ? 1 : 0) > 1) {
      throw new MongoServerError(40674, "Location40674", "Only one type of resume option is allowed, but multiple were found.");
    }
    long position;
    ResumeToken token = null;
    if (resumeAfter != null || startAfter != null) {
      token = ResumeToken.parse(resumeAfter != null ? resumeAfter : startAfter);
      if (token.invalidate() && resumeAfter != null) {
        throw new MongoServerError(260, "InvalidResumeToken",
            "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification; use 'startAfter'");
      }
      if (token.fragment() > 0 && !split) {
        throw new MongoServerError(280, "ChangeStreamFatalError", "To resume from a split event fragment, the pipeline must end with "
            + SplitLargeEvent.STAGE);
      }
      // a fragment's token resumes with the next fragment of the same event
      position = token.fragment() > 0 ? token.ts() - 1 : token.ts();
    } else if (startAt instanceof BsonTimestamp ts) {
      position = ts.getValue() - 1; // startAtOperationTime is inclusive
    } else if (startAt != null) {
      throw new MongoServerError(2, "BadValue", "startAtOperationTime must be a timestamp");
    } else {
      position = log.lastTs();
    }

    ChangeStreamCursor cursor = new ChangeStreamCursor(getCursorRegistry().generateCursorId(), log, this, streamDb, coll,
        fullDocument.equals("updateLookup"), compiled, split, position);
    if (token != null && token.fragment() > 0) cursor.resumeAfterFragment(token.ts(), token.fragment());
    if (token != null && !token.invalidate() && token.fragment() == 0) {
      ChangeLog.Entry resumedAt = log.find(token.ts());
      if (resumedAt != null && cursor.invalidatedBy(resumedAt)) cursor.invalidateFirst(resumedAt);
    }
    Document cursorOptions = (Document) query.getOrDefault("cursor", new Document());
    int batchSize = ((Number) cursorOptions.getOrDefault("batchSize", DEFAULT_FIRST_BATCH)).intValue();
    List<Document> firstBatch = batchSize == 0 ? new ArrayList<>() : cursor.next(batchSize, 0);
    if (!cursor.isClosed()) getCursorRegistry().add(cursor);
    return cursorResponse("firstBatch", firstBatch, cursor, coll != null ? db + "." + coll : db + ".$cmd.aggregate");
  }

  private Document getMore(String db, Document query, ChangeStreamCursor cursor) {
    int batchSize = ((Number) query.getOrDefault("batchSize", 0)).intValue();
    long await = ((Number) query.getOrDefault("maxTimeMS", DEFAULT_AWAIT_MILLIS)).longValue();
    List<Document> batch = cursor.next(batchSize, await);
    if (cursor.isClosed()) getCursorRegistry().remove(cursor);
    return cursorResponse("nextBatch", batch, cursor, db + "." + query.get("collection"));
  }

  private Document cursorResponse(String key, List<Document> batch, ChangeStreamCursor cursor, String ns) {
    Document response = new Document("cursor", new Document(key, batch)
        .append("postBatchResumeToken", cursor.postBatchResumeToken())
        .append("id", cursor.isClosed() ? 0L : cursor.getId())
        .append("ns", ns))
        .append("operationTime", new BsonTimestamp(log.lastTs()));
    Utils.markOkay(response);
    return response;
  }

  /** Aggregations the library cannot run alone: $toHashedIndexKey, or documents given by a leading $documents. */
  private Document aggregate(String db, Document query, List<Document> pipeline) {
    MongoDatabase database = resolveDatabase(db);
    MongoCollection<?> collection = null;
    List<Document> input = new ArrayList<>();
    List<Document> stages = pipeline;
    if (!pipeline.isEmpty() && pipeline.get(0).get("$documents") instanceof List<?> documents) {
      for (Object document : documents) input.add(((Document) document).cloneDeeply());
      stages = pipeline.subList(1, pipeline.size());
    } else if (query.get("aggregate") instanceof String name) {
      collection = database.resolveCollection(name, false);
      if (collection != null) {
        for (Document document : collection.handleQuery(new Document())) input.add(document.cloneDeeply());
      }
    } else {
      throw new MongoServerError(2, "BadValue", "aggregate: 1 needs a leading $documents stage on this test server");
    }
    MongoCollection<?> source = collection;
    List<Document> result = new Pipelines(stages, s -> Aggregation.fromPipeline(s, this::resolveDatabase, database, source, log))
        .run(input);
    Object target = query.get("aggregate");
    Document response = new Document("cursor", new Document("firstBatch", result).append("id", 0L)
        .append("ns", db + "." + (target instanceof String name ? name : "$cmd.aggregate")));
    Utils.markOkay(response);
    return response;
  }

  /** The document as it is now, for updateLookup; null once deleted. */
  Document findById(String db, String coll, Object id) {
    if (!listDatabaseNames().contains(db)) return null;
    MongoCollection<?> collection = resolveDatabase(db).resolveCollection(coll, false);
    if (collection == null) return null;
    for (Document document : collection.handleQuery(new Document("_id", id), 0, 1)) return document.cloneDeeply();
    return null;
  }
}
