package dev.ett.fuzz;

import dev.ett.noise.CipherFunction;
import dev.ett.noise.CipherState;
import dev.ett.noise.KeyPair;
import java.util.HexFormat;

/**
 * Fixed keys for the fuzz targets, so that a saved input (a real message 1, say) means the same
 * thing on every run. Test keys only: never use them anywhere else.
 */
final class FuzzKeys {
  private static final byte[] SERVER_PRIVATE =
      HexFormat.of().parseHex("a8abababababababababababababababababababababababababababababab6b");
  private static final byte[] CLIENT_PRIVATE =
      HexFormat.of().parseHex("c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d");
  private static final KeyPair SERVER = KeyPair.fromPrivateKey(SERVER_PRIVATE.clone());
  private static final KeyPair CLIENT = KeyPair.fromPrivateKey(CLIENT_PRIVATE.clone());

  // Transport keys and final chaining key for links set up without a handshake
  // (ServerPipeline.established()); any fixed values do, as a handshake's output looks random.
  private static final byte[] CLIENT_TO_SERVER =
      HexFormat.of().parseHex("1c2c3c4c5c6c7c8c9cacbcccdcecfc0c1d2d3d4d5d6d7d8d9dadbdcdddedfd0d");
  private static final byte[] SERVER_TO_CLIENT =
      HexFormat.of().parseHex("5e4e3e2e1e0efedecebeae9e8e7e6e5e4f3f2f1f0fffefdfcfbfaf9f8f7f6f5f");
  private static final byte[] CHAINING_KEY =
      HexFormat.of().parseHex("0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9");

  private FuzzKeys() {}

  /** A fresh AES-GCM cipher state keyed for client-to-server records (nonce 0). */
  static CipherState clientToServer() {
    return cipher(CLIENT_TO_SERVER);
  }

  /** A fresh AES-GCM cipher state keyed for server-to-client records (nonce 0). */
  static CipherState serverToClient() {
    return cipher(SERVER_TO_CLIENT);
  }

  static byte[] chainingKey() {
    return CHAINING_KEY.clone();
  }

  private static CipherState cipher(byte[] key) {
    CipherState c = new CipherState(CipherFunction.AESGCM);
    c.initializeKey(key.clone());
    return c;
  }

  /** A fresh copy each call: whoever gets one may destroy it. */
  static KeyPair server() {
    return new KeyPair(SERVER.privateKey().clone(), SERVER.publicKey().clone());
  }

  static KeyPair client() {
    return new KeyPair(CLIENT.privateKey().clone(), CLIENT.publicKey().clone());
  }
}
