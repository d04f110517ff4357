package dev.ett.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.ett.inspect.FirstBytes;
import dev.ett.inspect.Inspection;
import dev.ett.inspect.Protocol;
import dev.ett.testing.NoNettyBuffers;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: whatever a client sends first on a stream, the first-bytes parsers (TLS
 * ClientHello, HTTP/1.x request and HTTP/2 preface, SSH identification) answer without an
 * exception, leave the buffer as it was, report a server name only in printable ASCII, say what
 * they saw in printable ASCII, and never ask for more once told the bound is reached.
 *
 * <p>Input: its first byte's low bit says whether the bound is reached; the rest are the bytes.
 */
@Tag("fuzz")
@NoNettyBuffers // pure parsers: no leak check after each of the few hundred saved inputs
class FirstBytesFuzzTest {
  @FuzzTest
  void clientHello(@NotNull @WithLength(max = FirstBytes.MAX_BYTES + 1) byte[] input) {
    check(Protocol.TLS, input);
  }

  @FuzzTest
  void httpRequest(@NotNull @WithLength(max = FirstBytes.MAX_BYTES + 1) byte[] input) {
    check(Protocol.HTTP, input);
    check(Protocol.HTTP2, input);
  }

  @FuzzTest
  void sshIdentification(@NotNull @WithLength(max = 1024) byte[] input) {
    check(Protocol.SSH, input);
  }

  static void check(Protocol expected, byte[] input) {
    boolean atLimit = input.length > 0 && (input[0] & 1) != 0;
    int from = Math.min(1, input.length);
    byte[] before = input.clone();
    ByteBuffer b = ByteBuffer.wrap(input, from, input.length - from).asReadOnlyBuffer();
    Inspection r = FirstBytes.inspect(expected, b, atLimit);
    assertThat(b.position()).isEqualTo(from);
    assertThat(b.limit()).isEqualTo(input.length);
    assertThat(input).as("the bytes are left as they were").isEqualTo(before);
    switch (r) {
      case Inspection.NeedMore n -> assertThat(atLimit).as("NeedMore at the bound").isFalse();
      case Inspection.Matched m -> {
        assertThat(m.protocol()).isEqualTo(expected);
        m.serverName().ifPresent(name -> assertThat(name).matches("[\\x21-\\x7e]+"));
        // Once whole, more bytes after it do not change the answer (the exit may hold a few more).
        byte[] more =
            Arrays.copyOf(Arrays.copyOfRange(input, from, input.length), input.length - from + 3);
        assertThat(FirstBytes.inspect(expected, ByteBuffer.wrap(more), atLimit)).isEqualTo(m);
      }
      case Inspection.Mismatched x -> assertThat(x.seen()).matches("[\\x20-\\x7e]+");
    }
  }
}
