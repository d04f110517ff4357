// The JDK's AES-256-GCM on 64 KiB records, by buffer kind: heap arrays against direct ByteBuffers.
// Run: "$(bin/java-home)/bin/java" bench/GcmSpeed.java   (three rounds of about 5 s)

import java.nio.ByteBuffer;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

public class GcmSpeed {
  public static void main(String[] a) throws Exception {
    byte[] key = new byte[32];
    int len = 65519;
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    SecretKeySpec k = new SecretKeySpec(key, "AES");
    ByteBuffer heapIn = ByteBuffer.allocate(len);
    ByteBuffer directIn = ByteBuffer.allocateDirect(len);
    ByteBuffer directRec = ByteBuffer.allocateDirect(len + 16);
    ByteBuffer heapRec = ByteBuffer.allocate(len + 16);
    ByteBuffer directOut = ByteBuffer.allocateDirect(len + 16);
    ByteBuffer heapOut = ByteBuffer.allocate(len + 16);
    String[] names = {"enc heap->direct", "enc direct->direct", "dec direct->direct", "dec heap->heap", "dec direct->heap"};
    long[] g = {1L << 40};
    for (int round = 0; round < 3; round++) {
      for (int mode = 0; mode < names.length; mode++) {
        long n = 0, t0 = System.nanoTime();
        long nonce = 0;
        // prepare a valid record for decrypt modes
        byte[] iv0 = new byte[12];
        { long v = g[0]++; for (int i = 0; i < 8; i++) iv0[4 + i] = (byte) (v >>> (56 - 8 * i)); }
        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, iv0));
        heapIn.clear(); directRec.clear();
        c.doFinal(heapIn, directRec); directRec.flip();
        heapRec.clear(); heapRec.put(directRec.duplicate()); heapRec.flip();
        while (System.nanoTime() - t0 < 1_000_000_000L) {
          byte[] iv = iv0.clone();
          if (mode < 2) { long v = g[0]++; for (int i = 0; i < 8; i++) iv[4 + i] = (byte) (v >>> (56 - 8 * i)); }
          c.init(mode < 2 ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, iv));
          switch (mode) {
            case 0 -> { heapIn.clear(); directOut.clear(); c.doFinal(heapIn, directOut); }
            case 1 -> { directIn.clear(); directOut.clear(); c.doFinal(directIn, directOut); }
            case 2 -> { ByteBuffer r = directRec.duplicate(); directOut.clear(); c.doFinal(r, directOut); }
            case 3 -> { ByteBuffer r = heapRec.duplicate(); heapOut.clear(); c.doFinal(r, heapOut); }
            case 4 -> { ByteBuffer r = directRec.duplicate(); heapOut.clear(); c.doFinal(r, heapOut); }
          }
          n += len;
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-20s %6.0f MB/s (%.2f CPU-s/GB)%n", names[mode], n / s / 1e6, s / (n / 1e9));
      }
    }
  }
}
