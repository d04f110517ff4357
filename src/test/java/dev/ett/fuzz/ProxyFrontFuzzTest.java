package dev.ett.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.ett.front.FrontFuzzing;
import dev.ett.front.Users;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: the first bytes an application sends a {@code -D} port — SOCKS4, SOCKS4a,
 * SOCKS5 (with or without a password), HTTP CONNECT or absolute-URI requests, or garbage — never
 * make the front throw, open a stream for something that is not a complete valid request, or leak a
 * buffer, whatever the server then answers; and the request deadline closes what is left.
 *
 * <p>Input: the bytes the application sends, in one read. Whether the server accepts the streams
 * the front opens, and how, depends on the input's length (so every reply path is reached).
 */
@Tag("fuzz")
class ProxyFrontFuzzTest {
  private static final Users ALICE = Users.parse("fuzz", Users.line("alice", "s3cret", 1000));

  @FuzzTest
  void anonymous(@NotNull @WithLength(max = 1 << 16) byte[] input) throws Exception {
    run(input, null);
  }

  @FuzzTest
  void withUsers(@NotNull @WithLength(max = 1 << 16) byte[] input) throws Exception {
    run(input, ALICE);
  }

  private static void run(byte[] input, Users users) throws Exception {
    List<FrontFuzzing.Open> opens = new ArrayList<>();
    EmbeddedChannel ch = FrontFuzzing.connection(opens, users);
    try {
      if (input.length > 0) {
        ch.writeInbound(ch.alloc().buffer(input.length).writeBytes(input));
      }
      ch.runPendingTasks();
      for (FrontFuzzing.Open o : opens) {
        assertThat(o.destination()).isNotNull();
        switch (input.length % 3) {
          case 0 -> o.listener().onOpened(Destination.of(InetAddress.getByName("192.0.2.1"), 443));
          case 1 ->
              o.listener()
                  .onRefused(
                      RefuseCode.values()[input.length % RefuseCode.values().length], "fuzz");
          default -> {} // the server never answers: the deadline below ends it
        }
      }
      ch.runPendingTasks();
      drain(ch);
      ch.advanceTimeBy(11, TimeUnit.SECONDS);
      ch.runScheduledPendingTasks();
      ch.runPendingTasks();
      drain(ch);
      ch.checkException();
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  private static void drain(EmbeddedChannel ch) {
    for (Object m; (m = ch.readOutbound()) != null; ) {
      ReferenceCountUtil.release(m);
    }
  }
}
