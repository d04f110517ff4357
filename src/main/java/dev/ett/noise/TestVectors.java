package dev.ett.noise;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Runs Noise test vectors in the JSON formats of cacophony, snow and noise-c (top level {@code
 * {"vectors": [...]}}), see {@code noise-vectors/README.md}.
 *
 * <p>For each vector whose protocol we implement: build both sides with the vector's keys and
 * injected ephemerals, then play the messages in order - handshake messages in the pattern's order,
 * then transport messages alternating initiator, responder, ... (one-way patterns: all from the
 * initiator) - checking each ciphertext we produce and each payload we decrypt, and the handshake
 * hash when the vector has one. Vectors for primitives or patterns we do not implement, obsolete
 * {@code NoisePSK_} names and fallback vectors are skipped.
 */
public final class TestVectors {
  private static final HexFormat HEX = HexFormat.of();
  // Strict RFC 8259: Jackson's defaults already refuse comments, single quotes, trailing commas,
  // leading zeros and raw control characters, and cap nesting depth; we add duplicate keys and
  // anything after the top-level value.
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private TestVectors() {}

  /** The outcome: protocol names passed, failures as "file: name: reason", skipped names. */
  public record Result(List<String> passed, List<String> failed, List<String> skipped) {
    public Result {
      passed = List.copyOf(passed);
      failed = List.copyOf(failed);
      skipped = List.copyOf(skipped);
    }

    public int passedCount() {
      return passed.size();
    }

    public int failedCount() {
      return failed.size();
    }

    public int skippedCount() {
      return skipped.size();
    }

    /** Exactly {@code "N passed, N failed"}. */
    public String summary() {
      return passed.size() + " passed, " + failed.size() + " failed";
    }
  }

  /**
   * Runs every vector in {@code files}.
   *
   * @throws UncheckedIOException if a file cannot be read
   * @throws IllegalArgumentException if a file is not valid JSON or lacks {@code "vectors"}
   */
  public static Result run(List<Path> files) {
    List<String> passed = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Path file : files) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read test vectors " + file, e);
      }
      JsonNode root;
      try {
        root = JSON.readTree(text);
      } catch (JacksonException e) {
        throw new IllegalArgumentException(file + ": JSON: " + e.getOriginalMessage(), e);
      }
      JsonNode vectors = root == null ? null : root.get("vectors");
      if (vectors == null || !root.isObject() || !vectors.isArray()) {
        throw new IllegalArgumentException(file + ": expected {\"vectors\": [...]}");
      }
      String fileName = String.valueOf(file.getFileName());
      for (JsonNode vector : vectors) {
        if (!vector.isObject()) {
          throw new IllegalArgumentException(file + ": a vector is not a JSON object");
        }
        String name = name(vector);
        NoiseProtocol protocol = supported(name, vector);
        if (protocol == null) {
          skipped.add(name);
          continue;
        }
        try {
          runOne(protocol, vector);
          passed.add(name);
        } catch (NoiseException | RuntimeException | AssertionError e) {
          failed.add(fileName + ": " + name + ": " + e.getMessage());
        }
      }
    }
    return new Result(passed, failed, skipped);
  }

  private static String name(JsonNode vector) {
    JsonNode name = vector.has("protocol_name") ? vector.get("protocol_name") : vector.get("name");
    return name != null && name.isTextual() ? name.textValue() : "<unnamed>";
  }

  /** The protocol if we can run this vector, else null. */
  private static NoiseProtocol supported(String name, JsonNode vector) {
    // NoisePSK_ names (and the singular init_psk/resp_psk) are the pre-revision-31 PSK scheme;
    // fallback/hybrid vectors need features we do not have.
    if (!name.startsWith("Noise_")
        || vector.has("init_psk")
        || vector.has("resp_psk")
        || vector.path("fallback").asBoolean(false)
        || vector.has("fallback_pattern")
        || vector.has("hybrid")
        || vector.path("fail").asBoolean(false)) {
      return null;
    }
    try {
      return NoiseProtocol.parse(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static void runOne(NoiseProtocol protocol, JsonNode vector) throws NoiseException {
    HandshakePattern pattern = protocol.pattern();
    HandshakeState initiator =
        HandshakeState.initiator(
            protocol,
            bytes(vector, "init_prologue"),
            keyPair(vector, "init_static"),
            pattern.responderPreMessage().contains(HandshakePattern.Token.S)
                ? bytes(vector, "init_remote_static")
                : null,
            keyPair(vector, "init_ephemeral"),
            psks(vector, "init_psks"));
    HandshakeState responder =
        HandshakeState.responder(
            protocol,
            bytes(vector, "resp_prologue"),
            keyPair(vector, "resp_static"),
            pattern.initiatorPreMessage().contains(HandshakePattern.Token.S)
                ? bytes(vector, "resp_remote_static")
                : null,
            keyPair(vector, "resp_ephemeral"),
            psks(vector, "resp_psks"));

    JsonNode messages = vector.get("messages");
    if (messages == null || !messages.isArray()) {
      throw new IllegalArgumentException("no \"messages\" array");
    }
    Transport initiatorTransport = null;
    Transport responderTransport = null;
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        throw new IllegalArgumentException("message " + i + " is not an object");
      }
      byte[] payload = bytes(message, "payload");
      byte[] expected = bytes(message, "ciphertext");
      boolean fromInitiator = pattern.isOneWay() || HandshakePattern.sentByInitiator(i);
      HandshakeState sender = fromInitiator ? initiator : responder;
      HandshakeState receiver = fromInitiator ? responder : initiator;
      byte[] ciphertext;
      byte[] decrypted;
      if (initiatorTransport == null) {
        ciphertext = sender.writeMessage(payload);
        check(ciphertext, expected, "handshake message " + i + " ciphertext");
        decrypted = receiver.readMessage(ciphertext);
        if (initiator.isComplete() != responder.isComplete()) {
          throw new AssertionError("sides disagree about completion after message " + i);
        }
        if (initiator.isComplete()) {
          check(initiator.handshakeHash(), responder.handshakeHash(), "handshake hash (sides)");
          if (vector.path("handshake_hash").isTextual()) {
            check(initiator.handshakeHash(), bytes(vector, "handshake_hash"), "handshake_hash");
          }
          initiatorTransport = initiator.split();
          responderTransport = responder.split();
        }
      } else {
        Transport from = fromInitiator ? initiatorTransport : responderTransport;
        Transport to = fromInitiator ? responderTransport : initiatorTransport;
        ciphertext = from.sender().encryptWithAd(new byte[0], payload);
        check(ciphertext, expected, "transport message " + i + " ciphertext");
        decrypted = to.receiver().decryptWithAd(new byte[0], ciphertext);
      }
      check(decrypted, payload, "message " + i + " payload");
    }
    if (initiatorTransport == null) {
      throw new AssertionError("handshake did not complete within the vector's messages");
    }
    initiatorTransport.destroy();
    responderTransport.destroy();
  }

  private static void check(byte[] actual, byte[] expected, String what) {
    if (!Arrays.equals(actual, expected)) {
      // Ciphertexts and hashes are public values, fine to show.
      throw new AssertionError(
          what
              + " mismatch: got "
              + HEX.formatHex(actual)
              + ", expected "
              + HEX.formatHex(expected));
    }
  }

  private static byte[] bytes(JsonNode map, String key) {
    JsonNode value = map.get(key);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new IllegalArgumentException("\"" + key + "\" is not a hex string");
    }
    return HEX.parseHex(value.textValue());
  }

  private static KeyPair keyPair(JsonNode map, String key) {
    byte[] privateKey = bytes(map, key);
    return privateKey == null ? null : KeyPair.fromPrivateKey(privateKey);
  }

  private static List<byte[]> psks(JsonNode map, String key) {
    JsonNode list = map.get(key);
    if (list == null || !list.isArray()) {
      return List.of();
    }
    List<byte[]> psks = new ArrayList<>();
    for (JsonNode o : list) {
      if (!o.isTextual()) {
        throw new IllegalArgumentException("\"" + key + "\" holds a non-string");
      }
      psks.add(HEX.parseHex(o.textValue()));
    }
    return psks;
  }
}
