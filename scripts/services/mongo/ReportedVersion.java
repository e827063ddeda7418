import de.bwaldvogel.mongo.MongoVersion;
import java.util.List;

/**
 * The MongoDB version the test server reports in buildInfo and as hello's maxWireVersion, and the features
 * that version gates. The library's newest preset (MONGO_5_0) reports wire version 8, and the Node.js driver
 * 7.x refuses servers below wire version 9 (MongoDB 4.4), so 4.4 is the default; 7.0 adds what the server
 * emulates of it ({@code $changeStreamSplitLargeEvent}, new in 7.0 and 6.0.9).
 */
enum ReportedVersion implements MongoVersion {
  V4_4(List.of(4, 4, 0), 9),
  V7_0(List.of(7, 0, 5), 21);

  private final List<Integer> array;
  private final int wire;

  ReportedVersion(List<Integer> array, int wire) {
    this.array = array;
    this.wire = wire;
  }

  static ReportedVersion parse(String text) {
    return switch (text) {
      case "4.4" -> V4_4;
      case "7.0" -> V7_0;
      default -> throw new IllegalArgumentException("CONFLUX_MONGO_VERSION must be 4.4 or 7.0, got '" + text + "'");
    };
  }

  @Override
  public List<Integer> getVersionArray() {
    return array;
  }

  @Override
  public int getWireVersion() {
    return wire;
  }

  boolean splitsLargeEvents() {
    return this == V7_0;
  }
}
