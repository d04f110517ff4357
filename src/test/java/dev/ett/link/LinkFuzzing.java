package dev.ett.link;

import dev.ett.noise.CipherState;
import dev.ett.noise.HandshakeState;
import dev.ett.noise.KeyPair;
import dev.ett.noise.NoiseException;
import io.netty.channel.ChannelPipeline;

/**
 * Test-only door into the package-private parts of a link, for the fuzz targets in {@code
 * dev.ett.fuzz}: puts a {@link RecordLayer} into a pipeline as the handshake leaves it (in place of
 * the handshake handler, with the transport keys a completed handshake would have split) and fires
 * {@link LinkEstablished} through it, exactly as {@link ServerHandshake} does once message 1
 * checked out — but without the handshake's Diffie-Hellman operations, which a fuzz target that
 * only wants the record layer and what sits above it would otherwise pay on every input.
 */
public final class LinkFuzzing {
  private LinkFuzzing() {}

  /**
   * Adds the record layer after {@code afterName} under the name {@code "records"} (the name the
   * handshake gives it) and fires {@code event} up from it. The record layer owns the cipher states
   * and the chaining key array from then on and destroys them when it leaves the pipeline.
   */
  public static RecordLayer addEstablished(
      ChannelPipeline pipeline,
      String afterName,
      CipherState sender,
      CipherState receiver,
      byte[] chainingKey,
      LinkConfig config,
      LinkEstablished event) {
    RecordLayer records = new RecordLayer(event.role(), sender, receiver, chainingKey, config);
    pipeline.addAfter(afterName, "records", records);
    if (event.role() == LinkEstablished.Role.SERVER) {
      // As if the client's first record had authenticated already (PROTOCOL.md §4, step 7).
      pipeline.context(records).fireUserEventTriggered(event);
    } else {
      records.userEventFromHandshake(event);
    }
    return records;
  }

  /**
   * The state a client's handshake is in once it has sent message 1 (PROTOCOL.md §4, client steps
   * 1-3), to be copied for each input by {@link #clientAwaitingResponse}.
   */
  public static HandshakeState clientAfterMessage1(
      Suite suite, KeyPair clientKey, byte[] serverKey, LinkConfig config) throws NoiseException {
    HandshakeState hs = ClientHandshake.initiator(suite, clientKey, serverKey);
    ClientHandshake.writeMessage1(hs, config);
    return hs;
  }

  /**
   * A client handshake handler that has already sent message 1 and waits for message 2, starting
   * from a copy of {@code afterMessage1}: reading message 2 costs two Diffie-Hellman operations,
   * where writing message 1 first would cost three more, on every input.
   */
  public static ClientHandshake clientAwaitingResponse(
      Suite suite, byte[] serverKey, LinkConfig config, HandshakeState afterMessage1) {
    return new ClientHandshake(suite, serverKey, config, afterMessage1.copy());
  }
}
