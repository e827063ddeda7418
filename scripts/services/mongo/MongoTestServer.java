import de.bwaldvogel.mongo.wire.MongoExceptionHandler;
import de.bwaldvogel.mongo.wire.MongoWireMessageEncoder;
import de.bwaldvogel.mongo.wire.MongoWireProtocolHandler;
import de.bwaldvogel.mongo.wire.MongoWireReplyEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The project's MongoDB test server: mongo-java-server's in-memory backend, extended (see
 * {@link ChangeStreamBackend}) so that its change streams behave as MongoDB documents them.
 *
 * <p>Usage: java -cp 'classes:libs/*' MongoTestServer HOST PORT MAX_HISTORY_ENTRIES [replicaset|standalone [4.4|7.0]]
 *
 * <p>{@code standalone} answers as a standalone mongod (no replica set in {@code hello}, no change streams), to
 * test what clients do with a server that cannot serve change streams.
 *
 * <p>The last argument is the MongoDB version to report ({@link ReportedVersion}), 4.4 unless given.
 *
 * <p>The netty pipeline is the one {@code MongoServer.bind} builds, with the request handler replaced by
 * {@link ConnectionThreadHandler}.
 */
public final class MongoTestServer {
  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 5) {
      System.err.println("usage: MongoTestServer HOST PORT MAX_HISTORY_ENTRIES [replicaset|standalone [4.4|7.0]]");
      System.exit(2);
    }
    String topology = args.length >= 4 ? args[3] : "replicaset";
    ReportedVersion version;
    try {
      version = ReportedVersion.parse(args.length == 5 ? args[4] : "4.4");
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    if (!topology.equals("replicaset") && !topology.equals("standalone")) {
      System.err.println("CONFLUX_MONGO_TOPOLOGY must be replicaset or standalone, got '" + topology + "'");
      System.exit(2);
    }
    boolean standalone = topology.equals("standalone");
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int maxEntries;
    try {
      maxEntries = Integer.parseInt(args[2]);
      if (maxEntries < 1) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      System.err.println("CONFLUX_MONGO_OPLOG_MAX_ENTRIES must be a positive integer, got '" + args[2] + "'");
      System.exit(2);
      return;
    }

    ChangeStreamBackend backend = new ChangeStreamBackend(new ChangeLog(maxEntries), host + ":" + port, standalone, version);
    backend.enableOplog();

    EventLoopGroup boss = new NioEventLoopGroup(1);
    EventLoopGroup workers = new NioEventLoopGroup(2);
    ChannelGroup channels = new DefaultChannelGroup("mongodb-channels", workers.next());
    Channel server = new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 100)
        .childOption(ChannelOption.TCP_NODELAY, Boolean.TRUE)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          public void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new MongoWireReplyEncoder());
            ch.pipeline().addLast(new MongoWireMessageEncoder());
            ch.pipeline().addLast(new MongoWireProtocolHandler());
            ch.pipeline().addLast(new ConnectionThreadHandler(backend, channels));
            ch.pipeline().addLast(new MongoExceptionHandler());
          }
        })
        .bind(host, port).syncUninterruptibly().channel();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close().syncUninterruptibly();
      channels.close().syncUninterruptibly();
      workers.shutdownGracefully();
      boss.shutdownGracefully();
      backend.close();
    }));
    System.out.println("mongo test server (mongo-java-server as MongoDB " + version.toVersionString() + ", "
        + (standalone ? "standalone, no change streams" : "replica set " + ChangeStreamBackend.REPLICA_SET + ", history of " + maxEntries + " changes")
        + ") listening on " + host + ":" + port);
    server.closeFuture().sync();
  }
}
