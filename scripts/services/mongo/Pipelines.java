import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs aggregation stages on a list of documents with the library's stage implementations, adding what the
 * change streams and {@link DocumentOperators} need: the stage aliases {@code $set} and {@code $replaceWith}
 * (MongoDB 4.2+), and the per-document rewrite of stages that use {@code $toHashedIndexKey} or {@code $bsonSize}.
 */
final class Pipelines {
  /** Stages that look at one document at a time: only these may use the per-document operators here. */
  private static final Set<String> PER_DOCUMENT = Set.of("$match", "$project", "$addFields", "$replaceRoot", "$redact");

  private final List<Document> stages;
  private final Function<List<Document>, Aggregation> compile;
  private final Aggregation compiled; // the whole pipeline, when no stage needs the per-document rewrite

  Pipelines(List<Document> stages, Function<List<Document>, Aggregation> compile) {
    this.stages = stages.stream().map(Pipelines::normalize).toList();
    this.compile = compile;
    for (Document stage : this.stages) {
      String name = stage.keySet().iterator().next();
      if (DocumentOperators.usedIn(stage) && !PER_DOCUMENT.contains(name)) {
        throw new MongoServerError(2, "BadValue", String.join(" and ", DocumentOperators.OPERATORS) + " are supported in $match, $project, $addFields, "
            + "$set, $replaceRoot and $replaceWith on this test server, not in " + name);
      }
    }
    this.compiled = DocumentOperators.usedIn(this.stages) ? null : compile.apply(this.stages); // validates the stages
  }

  List<Document> run(List<Document> input) {
    if (compiled != null) return compiled.runStages(input.stream());
    List<Document> documents = input;
    for (Document stage : stages) {
      if (!DocumentOperators.usedIn(stage)) {
        documents = compile.apply(List.of(stage)).runStages(documents.stream());
        continue;
      }
      List<Document> output = new ArrayList<>();
      for (Document document : documents) {
        Document rewritten = (Document) DocumentOperators.substitute(stage, document);
        output.addAll(compile.apply(List.of(rewritten)).runStages(java.util.stream.Stream.of(document)));
      }
      documents = output;
    }
    return documents;
  }

  private static Document normalize(Document stage) {
    if (stage.size() != 1) throw new MongoServerError(40323, "Location40323", "A pipeline stage specification object must contain exactly one field.");
    if (stage.containsKey("$set")) return new Document("$addFields", stage.get("$set"));
    if (stage.containsKey("$replaceWith")) return new Document("$replaceRoot", new Document("newRoot", stage.get("$replaceWith")));
    return stage;
  }
}
