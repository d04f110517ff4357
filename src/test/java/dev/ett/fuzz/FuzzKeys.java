package dev.ett.fuzz;

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

  private FuzzKeys() {}

  /** A fresh copy each call: whoever gets one may destroy it. */
  static KeyPair server() {
    return new KeyPair(SERVER.privateKey().clone(), SERVER.publicKey().clone());
  }

  static KeyPair client() {
    return new KeyPair(CLIENT.privateKey().clone(), CLIENT.publicKey().clone());
  }
}
