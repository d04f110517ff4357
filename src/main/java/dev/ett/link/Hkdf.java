package dev.ett.link;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF with HMAC-SHA256 as the Noise specification defines it (§4.3), three outputs. */
final class Hkdf {
  private Hkdf() {}

  static byte[][] derive3(byte[] chainingKey, byte[] inputKeyMaterial) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      // SecretKeySpec keeps its own copy of the key: destroyed below, as SymmetricState does.
      SecretKeySpec ck = new SecretKeySpec(chainingKey, "HmacSHA256");
      mac.init(ck);
      byte[] tempKey = mac.doFinal(inputKeyMaterial);
      destroy(ck);
      SecretKeySpec temp = new SecretKeySpec(tempKey, "HmacSHA256");
      mac.init(temp);
      byte[] out1 = mac.doFinal(new byte[] {1});
      mac.update(out1);
      byte[] out2 = mac.doFinal(new byte[] {2});
      mac.update(out2);
      byte[] out3 = mac.doFinal(new byte[] {3});
      destroy(temp);
      java.util.Arrays.fill(tempKey, (byte) 0);
      return new byte[][] {out1, out2, out3};
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static void destroy(SecretKeySpec key) {
    try {
      key.destroy(); // zeroes its copy on JDKs that implement it (22+)
    } catch (javax.security.auth.DestroyFailedException e) {
      // Older JDKs cannot destroy a SecretKeySpec; nothing more we can do.
    }
  }
}
