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
      mac.init(new SecretKeySpec(chainingKey, "HmacSHA256"));
      byte[] tempKey = mac.doFinal(inputKeyMaterial);
      mac.init(new SecretKeySpec(tempKey, "HmacSHA256"));
      byte[] out1 = mac.doFinal(new byte[] {1});
      mac.update(out1);
      byte[] out2 = mac.doFinal(new byte[] {2});
      mac.update(out2);
      byte[] out3 = mac.doFinal(new byte[] {3});
      java.util.Arrays.fill(tempKey, (byte) 0);
      return new byte[][] {out1, out2, out3};
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
