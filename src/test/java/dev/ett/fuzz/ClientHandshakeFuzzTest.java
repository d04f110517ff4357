package dev.ett.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.ett.link.HandshakeFailedException;
import dev.ett.link.LinkConfig;
import dev.ett.link.LinkEstablished;
import dev.ett.link.LinkFuzzing;
import dev.ett.link.Records;
import dev.ett.link.Suite;
import dev.ett.noise.HandshakeState;
import dev.ett.noise.NoiseException;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: whatever a server (or something posing as one) answers to a client's message
 * 1, the client either completes the handshake with the pinned key or fails with a {@link
 * HandshakeFailedException} and closes — no other exception, no link, no leaked buffer.
 */
@Tag("fuzz")
class ClientHandshakeFuzzTest {
  // Message 1 is the same for every input (it does not depend on what the server answers), so it
  // is written once and each input starts from a copy of the state after it: two Diffie-Hellman
  // operations per input instead of five.
  private static final HandshakeState AFTER_MESSAGE_1;

  static {
    try {
      AFTER_MESSAGE_1 =
          LinkFuzzing.clientAfterMessage1(
              Suite.AESGCM,
              FuzzKeys.client(),
              FuzzKeys.server().publicKey(),
              LinkConfig.defaults());
    } catch (NoiseException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @FuzzTest
  void response(@NotNull @WithLength(max = 1 << 17) byte[] input) throws Exception {
    UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true, false);
    ServerPipeline.Seen seen = new ServerPipeline.Seen();
    EmbeddedChannel client = new EmbeddedChannel(false, false);
    client.config().setAllocator(alloc);
    client
        .pipeline()
        .addLast(
            Records.decoder(),
            LinkFuzzing.clientAwaitingResponse(
                Suite.AESGCM,
                FuzzKeys.server().publicKey(),
                LinkConfig.defaults(),
                AFTER_MESSAGE_1))
        .addLast(seen);
    client.register();
    try {
      if (input.length > 0) {
        client.writeInbound(alloc.buffer(input.length).writeBytes(input));
      }
      assertThat(seen.events.stream().anyMatch(LinkEstablished.class::isInstance))
          .as("no link without the pinned server's proof")
          .isFalse();
      for (Throwable t : seen.errors) {
        assertThat(t).isInstanceOf(HandshakeFailedException.class);
      }
    } finally {
      client.finishAndReleaseAll();
    }
    assertThat(alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory()).isZero();
  }
}
