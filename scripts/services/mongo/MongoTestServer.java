import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.List;

/**
 * Starts mongo-java-server with its oplog enabled, which is what gives it change streams.
 * Run as a single-file source program: java -cp 'libs/*' MongoTestServer.java HOST PORT
 */
public class MongoTestServer {
  /**
   * The library's newest preset (MONGO_5_0) reports wire version 8, and the Node.js driver 7.x
   * refuses servers below wire version 9 (MongoDB 4.4). The commands our tests use behave the
   * same at 4.4, so we report 4.4 / wire 9.
   */
  static final MongoVersion MONGO_4_4 = new MongoVersion() {
    public List<Integer> getVersionArray() { return List.of(4, 4, 0); }
    public int getWireVersion() { return 9; }
  };

  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 27017;
    MongoServer server = new MongoServer(new MemoryBackend().version(MONGO_4_4));
    server.enableOplog();
    server.bind(host, port);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    System.out.println("mongo-java-server listening on " + host + ":" + port);
    Thread.currentThread().join();
  }
}
