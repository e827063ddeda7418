import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.wire.MongoDatabaseHandler;
import de.bwaldvogel.mongo.wire.message.ClientRequest;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.group.ChannelGroup;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's request handler, run on a thread per connection (as mongod does) instead of on netty's event
 * loop: a change stream's getMore waits up to maxAwaitTimeMS for events, and on the event loop that wait would
 * stall every other connection the loop serves. A connection's requests still run one at a time, in order.
 */
final class ConnectionThreadHandler extends MongoDatabaseHandler {
  private static final AtomicInteger CONNECTIONS = new AtomicInteger();

  private final ExecutorService thread = Executors.newSingleThreadExecutor(task -> {
    Thread worker = new Thread(task, "mongo-conn-" + CONNECTIONS.incrementAndGet());
    worker.setDaemon(true);
    return worker;
  });

  ConnectionThreadHandler(MongoBackend backend, ChannelGroup channels) {
    super(backend, channels);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ClientRequest request) {
    thread.execute(() -> {
      try {
        super.channelRead0(ctx, request);
      } catch (RuntimeException e) {
        ctx.fireExceptionCaught(e);
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    super.channelInactive(ctx);
    thread.shutdown(); // lets a request still running finish
  }
}
