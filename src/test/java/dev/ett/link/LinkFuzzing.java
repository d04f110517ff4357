package dev.ett.link;

import dev.ett.noise.CipherState;
import io.netty.channel.ChannelPipeline;

/**
 * Test-only door into the package-private parts of a link, for the fuzz targets in {@code
 * dev.ett.fuzz}: puts a {@link RecordLayer} into a pipeline as the handshake leaves it (in place of
 * the handshake handler, with the transport keys a completed handshake would have split) and fires
 * {@link LinkEstablished} through it, exactly as {@link ServerHandshake} does once message 1 checked
 * out — but without the handshake's Diffie-Hellman operations, which a fuzz target that only wants
 * the record layer and what sits above it would otherwise pay on every input.
 */
public final class LinkFuzzing {
  private LinkFuzzing() {}

  /**
   * Adds the record layer after {@code afterName} under the name {@code "records"} (the name the
   * handshake gives it) and fires {@code event} up from it. The record layer owns the cipher states
   * from then on and destroys them when it leaves the pipeline.
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
    records.userEventFromHandshake(event);
    return records;
  }
}
