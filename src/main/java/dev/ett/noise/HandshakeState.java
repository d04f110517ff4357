package dev.ett.noise;

import dev.ett.noise.HandshakePattern.Token;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * A Noise HandshakeState (spec 5.3) for one side of one handshake: the local keys s and e, the
 * remote keys rs and re, the role and the remaining message patterns.
 *
 * <p>Usage: create with {@link #initiator} or {@link #responder}, then alternate {@link
 * #writeMessage} and {@link #readMessage} as the pattern dictates (the {@link State} says whose
 * turn it is), and once {@link #isComplete()} call {@link #split()} once.
 *
 * <p>Any failure while reading (bad MAC, truncated message, low-order key) moves the state to
 * {@link State#FAILED} and zeroes the secrets: the symmetric state has already absorbed part of the
 * message, so a handshake cannot continue after a bad message. Start a new one.
 */
public final class HandshakeState {
  // From the specification (spec 3): "All Noise messages are less than or equal to 65535 bytes".
  public static final int MAX_MESSAGE_LENGTH = 65535;

  /** Where this side is in the handshake. */
  public enum State {
    /** The next message pattern is ours: call {@link #writeMessage}. */
    WRITE_NEXT,
    /** The next message pattern is the peer's: call {@link #readMessage}. */
    READ_NEXT,
    /** All message patterns are done: call {@link #split()}. */
    COMPLETE,
    /** {@link #split()} was called; only {@link #handshakeHash()} and getters remain. */
    SPLIT,
    /** A message failed to read, or {@link #destroy()} was called; secrets are zeroed. */
    FAILED
  }

  private final NoiseProtocol protocol;
  private final boolean initiator;
  private final SymmetricState symmetric;
  private final KeyPair s;
  private KeyPair e;
  private byte[] rs;
  private byte[] re;
  private final List<byte[]> psks;
  private int pskIndex;
  private int messageIndex;
  private State state;
  private byte[] finalHandshakeHash;
  private byte[] finalChainingKey;

  private HandshakeState(
      NoiseProtocol protocol,
      boolean initiator,
      byte[] prologue,
      KeyPair s,
      byte[] rs,
      KeyPair e,
      List<byte[]> psks) {
    if (protocol == null) {
      throw new IllegalArgumentException("protocol: null");
    }
    this.protocol = protocol;
    this.initiator = initiator;
    HandshakePattern pattern = protocol.pattern();
    List<Token> localPre =
        initiator ? pattern.initiatorPreMessage() : pattern.responderPreMessage();
    List<Token> remotePre =
        initiator ? pattern.responderPreMessage() : pattern.initiatorPreMessage();
    if (remotePre.contains(Token.E) || localPre.contains(Token.E)) {
      // Only fallback patterns (spec 10) pre-know ephemerals; none are in our table.
      throw new IllegalArgumentException(
          "pattern " + pattern.name() + " has ephemeral pre-messages (unsupported)");
    }
    if (needsLocalStatic(pattern, initiator) && s == null) {
      throw new IllegalArgumentException(
          "s: null (pattern " + pattern.name() + " needs the " + role() + "'s static key pair)");
    }
    if (remotePre.contains(Token.S) && rs == null) {
      throw new IllegalArgumentException(
          "rs: null (pattern "
              + pattern.name()
              + " needs the "
              + (initiator ? "responder" : "initiator")
              + "'s static public key in advance)");
    }
    if (!remotePre.contains(Token.S) && rs != null) {
      // Refuse rather than ignore: ignoring it would silently drop a key check the caller
      // believes it has. Compare remoteStaticKey() after the handshake instead.
      throw new IllegalArgumentException(
          "rs: given, but pattern "
              + pattern.name()
              + " does not pre-know the remote static key (check remoteStaticKey() after)");
    }
    if (rs != null && rs.length != X25519.KEY_LENGTH) {
      throw new IllegalArgumentException(
          "rs: " + rs.length + " bytes (expected: " + X25519.KEY_LENGTH + " bytes)");
    }
    List<byte[]> pskList = psks == null ? List.of() : List.copyOf(psks);
    if (pskList.size() != pattern.pskCount()) {
      throw new IllegalArgumentException(
          "psks: "
              + pskList.size()
              + " (expected: "
              + pattern.pskCount()
              + " for pattern "
              + pattern.name()
              + ")");
    }
    for (byte[] psk : pskList) {
      // Spec 9.1: "pre-shared symmetric keys ... 32 bytes".
      if (psk.length != 32) {
        throw new IllegalArgumentException("psk: " + psk.length + " bytes (expected: 32 bytes)");
      }
    }
    this.s = s;
    this.e = e;
    this.rs = rs == null ? null : rs.clone();
    this.psks = pskList.stream().map(byte[]::clone).toList();

    // Spec 5.3 Initialize(): InitializeSymmetric(protocol_name); MixHash(prologue); then "calls
    // MixHash() once for each public key listed in the pre-messages from handshake_pattern ...
    // the initiator's public keys are always hashed first."
    this.symmetric = new SymmetricState(protocol.cipher(), protocol.hash());
    symmetric.initializeSymmetric(protocol.name());
    symmetric.mixHash(prologue == null ? new byte[0] : prologue);
    if (pattern.initiatorPreMessage().contains(Token.S)) {
      symmetric.mixHash(initiator ? s.publicKey() : this.rs);
    }
    if (pattern.responderPreMessage().contains(Token.S)) {
      symmetric.mixHash(initiator ? this.rs : s.publicKey());
    }
    this.state = initiator ? State.WRITE_NEXT : State.READ_NEXT;
  }

  /**
   * An initiator. {@code s} is our static key pair (null if the pattern sends none), {@code rs} the
   * responder's static public key if the pattern pre-knows it (IK, NK, XK, KK ...), else null.
   * {@code e} is null except in test vectors, which inject the ephemeral (this object then owns it
   * and zeroes its private key when done).
   */
  public static HandshakeState initiator(
      NoiseProtocol protocol, byte[] prologue, KeyPair s, byte[] rs, KeyPair e) {
    return new HandshakeState(protocol, true, prologue, s, rs, e, List.of());
  }

  /** An initiator for a PSK pattern; {@code psks} are 32-byte keys in modifier order. */
  public static HandshakeState initiator(
      NoiseProtocol protocol, byte[] prologue, KeyPair s, byte[] rs, KeyPair e, List<byte[]> psks) {
    return new HandshakeState(protocol, true, prologue, s, rs, e, psks);
  }

  /**
   * A responder; arguments as for {@link #initiator(NoiseProtocol, byte[], KeyPair, byte[],
   * KeyPair)}.
   */
  public static HandshakeState responder(
      NoiseProtocol protocol, byte[] prologue, KeyPair s, byte[] rs, KeyPair e) {
    return new HandshakeState(protocol, false, prologue, s, rs, e, List.of());
  }

  /** A responder for a PSK pattern; {@code psks} are 32-byte keys in modifier order. */
  public static HandshakeState responder(
      NoiseProtocol protocol, byte[] prologue, KeyPair s, byte[] rs, KeyPair e, List<byte[]> psks) {
    return new HandshakeState(protocol, false, prologue, s, rs, e, psks);
  }

  public NoiseProtocol protocol() {
    return protocol;
  }

  public boolean isInitiator() {
    return initiator;
  }

  public State state() {
    return state;
  }

  /** True once every message pattern has been written or read (before or after split). */
  public boolean isComplete() {
    return state == State.COMPLETE || state == State.SPLIT;
  }

  /**
   * WriteMessage(payload, message_buffer) of spec 5.3: processes our next message pattern and
   * returns the message to send.
   *
   * @throws NoiseException if a DH with a remote key fails (a low-order key the peer sent in an
   *     earlier message, first used here in deferred patterns such as NX1, or a bad pre-known rs);
   *     the state is then {@link State#FAILED}
   * @throws IllegalStateException if it is not our turn to write
   * @throws IllegalArgumentException if the message would exceed 65535 bytes (the state is
   *     unchanged)
   */
  public byte[] writeMessage(byte[] payload) throws NoiseException {
    if (state != State.WRITE_NEXT) {
      throw new IllegalStateException("writeMessage() in state " + state);
    }
    HandshakePattern pattern = protocol.pattern();
    List<Token> tokens = pattern.messages().get(messageIndex);
    int length = messageLength(tokens, payload.length);
    if (length > MAX_MESSAGE_LENGTH) {
      throw new IllegalArgumentException(
          "payload: "
              + payload.length
              + " bytes makes a "
              + length
              + "-byte message (expected: <= "
              + MAX_MESSAGE_LENGTH
              + ")");
    }
    ByteArrayOutputStream message = new ByteArrayOutputStream(length);
    try {
      for (Token token : tokens) {
        switch (token) {
          case E -> {
            // "Sets e (which must be empty) to GENERATE_KEYPAIR(). Appends e.public_key to the
            // buffer. Calls MixHash(e.public_key)." Test vectors inject e instead.
            if (e == null) {
              e = X25519.generate();
            }
            message.writeBytes(e.publicKey());
            symmetric.mixHash(e.publicKey());
            if (pattern.hasPsk()) {
              // Spec 9.2: in a PSK handshake "all of these calls are followed by MixKey(e)".
              symmetric.mixKey(e.publicKey());
            }
          }
          case S -> message.writeBytes(symmetric.encryptAndHash(s.publicKey()));
          case EE, ES, SE, SS -> mixDh(token);
          case PSK -> symmetric.mixKeyAndHash(psks.get(pskIndex++));
        }
      }
      message.writeBytes(symmetric.encryptAndHash(payload));
    } catch (NoiseException ex) {
      // A remote key we received earlier (or pre-knew) is low order: the handshake is over.
      fail();
      throw ex;
    }
    advance();
    return message.toByteArray();
  }

  /**
   * ReadMessage(message, payload_buffer) of spec 5.3: processes the peer's next message pattern and
   * returns the decrypted payload.
   *
   * @throws NoiseException if the message is too short, too long, fails authentication, or carries
   *     a low-order public key; the state is then {@link State#FAILED}
   * @throws IllegalStateException if it is not our turn to read
   */
  public byte[] readMessage(byte[] message) throws NoiseException {
    if (state != State.READ_NEXT) {
      throw new IllegalStateException("readMessage() in state " + state);
    }
    try {
      byte[] payload = readTokens(message);
      advance();
      return payload;
    } catch (NoiseException ex) {
      fail();
      throw ex;
    }
  }

  private byte[] readTokens(byte[] message) throws NoiseException {
    if (message.length > MAX_MESSAGE_LENGTH) {
      throw new NoiseException(
          "message: " + message.length + " bytes (expected: <= " + MAX_MESSAGE_LENGTH + ")");
    }
    HandshakePattern pattern = protocol.pattern();
    List<Token> tokens = pattern.messages().get(messageIndex);
    int minimum = messageLength(tokens, 0);
    if (message.length < minimum) {
      throw new NoiseException(
          "message: " + message.length + " bytes (expected: >= " + minimum + ")");
    }
    int offset = 0;
    for (Token token : tokens) {
      switch (token) {
        case E -> {
          // "Sets re (which must be empty) to the next DHLEN bytes from the message. Calls
          // MixHash(re.public_key)."
          re = Arrays.copyOfRange(message, offset, offset + X25519.KEY_LENGTH);
          offset += X25519.KEY_LENGTH;
          symmetric.mixHash(re);
          if (pattern.hasPsk()) {
            symmetric.mixKey(re);
          }
        }
        case S -> {
          // "Sets temp to the next DHLEN + 16 bytes of the message if HasKey() == True, or to
          // the next DHLEN bytes otherwise. Sets rs (which must be empty) to
          // DecryptAndHash(temp)."
          int length = X25519.KEY_LENGTH + (symmetric.hasKey() ? CipherFunction.TAG_LENGTH : 0);
          byte[] temp = Arrays.copyOfRange(message, offset, offset + length);
          offset += length;
          rs = symmetric.decryptAndHash(temp);
        }
        case EE, ES, SE, SS -> mixDh(token);
        case PSK -> symmetric.mixKeyAndHash(psks.get(pskIndex++));
      }
    }
    // "Calls DecryptAndHash() on the remaining bytes of the message and stores the output into
    // payload_buffer."
    return symmetric.decryptAndHash(Arrays.copyOfRange(message, offset, message.length));
  }

  /**
   * The DH tokens of spec 5.3: "ee" DH(e, re); "es" DH(e, rs) if initiator, DH(s, re) if responder;
   * "se" DH(s, re) if initiator, DH(e, rs) if responder; "ss" DH(s, rs). Each result goes through
   * MixKey().
   */
  private void mixDh(Token token) throws NoiseException {
    byte[] shared =
        switch (token) {
          case EE -> X25519.dh(e.privateKey(), re);
          case ES -> initiator ? X25519.dh(e.privateKey(), rs) : X25519.dh(s.privateKey(), re);
          case SE -> initiator ? X25519.dh(s.privateKey(), re) : X25519.dh(e.privateKey(), rs);
          case SS -> X25519.dh(s.privateKey(), rs);
          default -> throw new IllegalStateException("not a DH token: " + token);
        };
    symmetric.mixKey(shared);
    Arrays.fill(shared, (byte) 0);
  }

  /**
   * The exact length of the message for {@code tokens} and a payload of {@code payloadLength}: "e"
   * adds DHLEN, "s" DHLEN plus a tag once a key is set; the payload gets a tag once a key is set. A
   * key is set after any DH or psk token, or after "e" in a PSK handshake.
   */
  private int messageLength(List<Token> tokens, int payloadLength) {
    boolean hasKey = symmetric.hasKey();
    int length = 0;
    for (Token token : tokens) {
      switch (token) {
        case E -> {
          length += X25519.KEY_LENGTH;
          hasKey |= protocol.pattern().hasPsk();
        }
        case S -> length += X25519.KEY_LENGTH + (hasKey ? CipherFunction.TAG_LENGTH : 0);
        case EE, ES, SE, SS, PSK -> hasKey = true;
      }
    }
    return length + payloadLength + (hasKey ? CipherFunction.TAG_LENGTH : 0);
  }

  private void advance() {
    messageIndex++;
    if (messageIndex == protocol.pattern().messages().size()) {
      state = State.COMPLETE;
    } else {
      state =
          HandshakePattern.sentByInitiator(messageIndex) == initiator
              ? State.WRITE_NEXT
              : State.READ_NEXT;
    }
  }

  /**
   * Split() of spec 5.2, oriented for our role: spec 5.3 "the first [CipherState] for encrypting
   * transport messages from initiator to responder, the second for messages in the other
   * direction". Zeroes the handshake secrets; callable once.
   *
   * @throws IllegalStateException unless the handshake is complete and not yet split
   */
  public Transport split() {
    if (state != State.COMPLETE) {
      throw new IllegalStateException("split() in state " + state);
    }
    finalHandshakeHash = symmetric.getHandshakeHash();
    SymmetricState.CipherPair pair = symmetric.split();
    byte[] chainingKey = symmetric.chainingKey();
    Transport transport =
        initiator
            ? new Transport(pair.c1(), pair.c2(), chainingKey)
            : new Transport(pair.c2(), pair.c1(), chainingKey);
    finalChainingKey = chainingKey;
    zeroSecrets();
    state = State.SPLIT;
    return transport;
  }

  /**
   * A copy of the final chaining key ck (the same as {@link Transport#chainingKey()}), from which
   * the link layer derives later key updates. The caller owns and should zero the copy.
   *
   * @throws IllegalStateException before {@link #split()} or after {@link #destroy()}
   */
  public byte[] chainingKey() {
    if (finalChainingKey == null) {
      throw new IllegalStateException(
          "chainingKey() in state " + state + " (expected: after split(), before destroy())");
    }
    return finalChainingKey.clone();
  }

  /** The peer's static public key (pre-known or received), or null if none (yet). */
  public byte[] remoteStaticKey() {
    return rs == null ? null : rs.clone();
  }

  /**
   * GetHandshakeHash(): h, which spec 11.2 recommends for channel binding. Available at any time;
   * after completion it is the final value both sides agree on.
   */
  public byte[] handshakeHash() {
    if (finalHandshakeHash != null) {
      return finalHandshakeHash.clone();
    }
    if (state == State.FAILED) {
      throw new IllegalStateException("handshakeHash() in state " + state);
    }
    return symmetric.getHandshakeHash();
  }

  private HandshakeState(HandshakeState from) {
    this.protocol = from.protocol;
    this.initiator = from.initiator;
    this.symmetric = from.symmetric.copy();
    this.s = from.s; // the caller's, as in the original
    this.e =
        from.e == null
            ? null
            : new KeyPair(from.e.privateKey().clone(), from.e.publicKey().clone());
    this.rs = from.rs == null ? null : from.rs.clone();
    this.re = from.re == null ? null : from.re.clone();
    this.psks = from.psks.stream().map(byte[]::clone).toList();
    this.pskIndex = from.pskIndex;
    this.messageIndex = from.messageIndex;
    this.state = from.state;
    this.finalHandshakeHash =
        from.finalHandshakeHash == null ? null : from.finalHandshakeHash.clone();
    this.finalChainingKey = from.finalChainingKey == null ? null : from.finalChainingKey.clone();
  }

  /**
   * An independent copy, to go on from the same point twice: the copy owns copies of every secret
   * (destroying one leaves the other intact) and shares only the caller's static key pair. Lets a
   * fuzz target start each input from the state after message 1 without redoing its Diffie-Hellman
   * operations; a second use of the same ephemeral towards a real peer would be a protocol error,
   * so links never copy.
   */
  public HandshakeState copy() {
    if (state == State.FAILED) {
      throw new IllegalStateException("copy() in state " + state);
    }
    return new HandshakeState(this);
  }

  /** Zeroes all secrets this object owns (not the caller's static key pair). */
  public void destroy() {
    zeroSecrets();
    if (finalChainingKey != null) {
      Arrays.fill(finalChainingKey, (byte) 0);
      finalChainingKey = null;
    }
    if (state != State.SPLIT) {
      state = State.FAILED;
    }
  }

  private void fail() {
    zeroSecrets();
    state = State.FAILED;
  }

  private void zeroSecrets() {
    symmetric.destroy();
    if (e != null) {
      // The ephemeral is ours even when injected (test vectors); s belongs to the caller.
      e.destroy();
    }
    for (byte[] psk : psks) {
      Arrays.fill(psk, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "HandshakeState["
        + protocol.name()
        + ", "
        + (initiator ? "initiator" : "responder")
        + ", "
        + state
        + ", message "
        + messageIndex
        + "]";
  }

  private static boolean needsLocalStatic(HandshakePattern pattern, boolean initiator) {
    if ((initiator ? pattern.initiatorPreMessage() : pattern.responderPreMessage())
        .contains(Token.S)) {
      return true;
    }
    List<List<Token>> messages = pattern.messages();
    for (int i = 0; i < messages.size(); i++) {
      boolean mine = HandshakePattern.sentByInitiator(i) == initiator;
      for (Token t : messages.get(i)) {
        if ((t == Token.S && mine)
            || t == Token.SS
            || (t == Token.ES && !initiator)
            || (t == Token.SE && initiator)) {
          return true;
        }
      }
    }
    return false;
  }

  private String role() {
    return initiator ? "initiator" : "responder";
  }
}
