package dev.ett.noise;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * A micro-benchmark, not a test: MB/s of {@link CipherState#encrypt(ByteBuffer, ByteBuffer)} and
 * {@link CipherState#decrypt(ByteBuffer, ByteBuffer)} on 64 KiB records, for each cipher with heap
 * and direct buffers. Run after {@code bin/mvn test-compile}:
 *
 * <pre>
 * java -cp target/classes:target/test-classes dev.ett.noise.CipherSpeed [seconds-per-case]
 * </pre>
 */
public final class CipherSpeed {
  private static final int RECORD = 64 * 1024;

  private CipherSpeed() {}

  public static void main(String[] args) throws NoiseException {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
    System.out.printf(
        Locale.ROOT,
        "%s %s, %d-byte records%n",
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"),
        RECORD);
    for (CipherFunction function : CipherFunction.values()) {
      for (boolean direct : new boolean[] {false, true}) {
        run(function, direct, seconds / 4); // warm-up
        double[] mbs = run(function, direct, seconds);
        System.out.printf(
            Locale.ROOT,
            "%-10s %-6s encrypt %8.0f MB/s   decrypt %8.0f MB/s%n",
            function.noiseName(),
            direct ? "direct" : "heap",
            mbs[0],
            mbs[1]);
      }
    }
  }

  /** Returns {encrypt MB/s, decrypt MB/s}. */
  private static double[] run(CipherFunction function, boolean direct, double seconds)
      throws NoiseException {
    byte[] key = new byte[32];
    key[0] = 1;
    CipherState sender = new CipherState(function);
    CipherState receiver = new CipherState(function);
    sender.initializeKey(key);
    receiver.initializeKey(key);
    ByteBuffer plain = allocate(direct, RECORD);
    ByteBuffer record = allocate(direct, RECORD + CipherFunction.TAG_LENGTH);
    ByteBuffer back = allocate(direct, RECORD);

    // Encrypt only, for the encrypt figure.
    long bytes = 0;
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < 16; i++) {
        plain.clear();
        record.clear();
        sender.encrypt(plain, record);
        bytes += RECORD;
      }
    }
    double encrypt = bytes / 1e6 / ((System.nanoTime() - start) / 1e9);

    // Decrypt the same record again and again: rewinding the receiver's nonce to the record's
    // keeps the tag valid (fine for a benchmark, never do this in the tunnel).
    sender.setNonce(0);
    plain.clear();
    record.clear();
    sender.encrypt(plain, record);
    record.flip();
    bytes = 0;
    start = System.nanoTime();
    deadline = start + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < 16; i++) {
        record.rewind();
        back.clear();
        receiver.setNonce(0);
        receiver.decrypt(record, back);
        bytes += RECORD;
      }
    }
    double decrypt = bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
    return new double[] {encrypt, decrypt};
  }

  private static ByteBuffer allocate(boolean direct, int size) {
    return direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
  }
}
