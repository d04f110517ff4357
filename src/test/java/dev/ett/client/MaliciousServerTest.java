package dev.ett.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.link.LinkConfig;
import dev.ett.link.LinkEstablished;
import dev.ett.link.Suite;
import dev.ett.mux.Mux;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.GoawayCode;
import dev.ett.wire.RefuseCode;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: a server cannot make a client connect anywhere its own {@code -R} did not name
 * (PROTOCOL.md §10.2). The test plays a malicious server against the client's mux and {@link
 * ReverseForwards}: a stream for a listener never asked for, and a stream naming a destination for
 * a forward listener, are each refused (REFUSED 02) for that stream only; the link goes on.
 */
class MaliciousServerTest {
  private final List<String> bound = new ArrayList<>();
  private EmbeddedChannel link;

  private void up(int features) {
    ReverseForwards reverse =
        new ReverseForwards(List.of(ReverseSpec.parse("8080:127.0.0.1:80")), bound::add);
    Mux mux = new Mux(LinkConfig.defaults(), null, reverse);
    link = new EmbeddedChannel(mux);
    link.pipeline()
        .fireUserEventTriggered(
            LinkEstablished.client(
                Suite.AESGCM, new byte[32], LinkConfig.MIN_WINDOW, 100, 0, features));
  }

  private List<Frame> sent() {
    List<Frame> out = new ArrayList<>();
    for (Object o; (o = link.readOutbound()) != null; ) {
      if (o instanceof Frame f) {
        out.add(f); // the empty buffer that closes the link after a GOAWAY is not a frame
      }
    }
    return out;
  }

  @Test
  void clientAsksForItsListenersOnlyFromAServerThatAnnouncesThem() {
    up(0);
    assertThat(sent()).isEmpty();
    up(LinkEstablished.FEATURE_REVERSE);
    assertThat(sent())
        .containsExactly(new Frame.Listen(1, false, Destination.parse("127.0.0.1", 8080)));
  }

  @Test
  void streamForAListenerNeverAskedForIsRefusedAndTheLinkGoesOn() {
    up(LinkEstablished.FEATURE_REVERSE);
    sent();
    link.writeInbound(new Frame.Listening(1, Destination.parse("127.0.0.1", 8080)));
    assertThat(bound).containsExactly("127.0.0.1:8080");
    link.writeInbound(new Frame.ReverseOpen(2, 7, Optional.empty()));
    List<Frame> answers = sent();
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0)).isInstanceOf(Frame.Refused.class);
    assertThat(((Frame.Refused) answers.get(0)).code()).isEqualTo(RefuseCode.POLICY);
    assertThat(link.isActive()).isTrue();
  }

  @Test
  void streamNamingAnotherDestinationForAForwardListenerIsRefused() {
    up(LinkEstablished.FEATURE_REVERSE);
    sent();
    link.writeInbound(new Frame.Listening(1, Destination.parse("127.0.0.1", 8080)));
    link.writeInbound(
        new Frame.ReverseOpen(2, 1, Optional.of(Destination.parse("169.254.169.254", 80))));
    List<Frame> answers = sent();
    assertThat(answers)
        .singleElement()
        .isEqualTo(
            new Frame.Refused(2, RefuseCode.POLICY, "forward listener: destination not allowed"));
    assertThat(link.isActive()).isTrue();
  }

  @Test
  void aListenerTheServerRefusedTakesNoStreams() {
    up(LinkEstablished.FEATURE_REVERSE);
    sent();
    link.writeInbound(new Frame.ListenRefused(1, RefuseCode.POLICY, "no listen rule"));
    link.writeInbound(new Frame.ReverseOpen(2, 1, Optional.empty()));
    assertThat(sent()).singleElement().isInstanceOf(Frame.Refused.class);
  }

  @Test
  void anOpenOrAnOddStreamFromTheServerIsAProtocolError() {
    up(LinkEstablished.FEATURE_REVERSE);
    sent();
    link.writeInbound(new Frame.ReverseOpen(3, 1, Optional.empty()));
    List<Frame> answers = sent();
    assertThat(answers).singleElement().isInstanceOf(Frame.GoAway.class);
    assertThat(((Frame.GoAway) answers.get(0)).code()).isEqualTo(GoawayCode.PROTOCOL_ERROR);
  }
}
