package dev.ett.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: our Noise engine reproduces, byte for byte, the handshake and transport
 * messages of three independent implementations (cacophony, snow, noise-c), for every vector whose
 * primitives we implement. The files are copied verbatim into src/test/resources/noise-vectors.
 */
class TestVectorsTest {
  // The suites ett uses, per the README table: NN/XX/IK x {AESGCM, ChaChaPoly}, SHA256 only.
  private static final Pattern CORE =
      Pattern.compile("^Noise_(NN|XX|IK)_25519_(AESGCM|ChaChaPoly)_SHA256$");
  private static final Pattern CORE_PSK =
      Pattern.compile("^Noise_(NN|XX|IK)psk\\d(\\+psk\\d)*_25519_(AESGCM|ChaChaPoly)_SHA256$");

  static Path vectorFile(String name) {
    try {
      return Path.of(TestVectorsTest.class.getResource("/noise-vectors/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long count(List<String> names, Pattern pattern) {
    return names.stream().filter(n -> pattern.matcher(n).matches()).count();
  }

  @Test
  void cacophonyVectorsAllPass() {
    TestVectors.Result result = TestVectors.run(List.of(vectorFile("cacophony.txt")));

    assertThat(result.failed()).isEmpty();
    // README: 4 per pattern over SHA256 and BLAKE2s, so 2 per pattern with SHA256 = 6.
    assertThat(count(result.passed(), CORE)).isEqualTo(6);
    // NNpsk0, NNpsk2, XXpsk3, IKpsk1, IKpsk2: 2 each with SHA256.
    assertThat(count(result.passed(), CORE_PSK)).isEqualTo(10);
    assertThat(result.passedCount() + result.skippedCount()).isEqualTo(944);
  }

  @Test
  void snowVectorsAllPass() {
    TestVectors.Result result = TestVectors.run(List.of(vectorFile("snow.txt")));

    assertThat(result.failed()).isEmpty();
    assertThat(count(result.passed(), CORE)).isEqualTo(6);
    // NNpsk0+psk2, IKpsk0+psk2, and four multi-psk XX variants: 2 each with SHA256.
    assertThat(count(result.passed(), CORE_PSK)).isEqualTo(12);
    assertThat(result.passedCount() + result.skippedCount()).isEqualTo(408);
  }

  @Test
  void noiseCVectorsAllPassAndObsoletePskNamesAreSkipped() {
    TestVectors.Result result = TestVectors.run(List.of(vectorFile("noise-c-basic.txt")));

    assertThat(result.failed()).isEmpty();
    assertThat(count(result.passed(), CORE)).isEqualTo(6);
    assertThat(result.passed()).noneMatch(n -> n.startsWith("NoisePSK_"));
    assertThat(result.skipped()).anyMatch(n -> n.startsWith("NoisePSK_"));
    assertThat(result.passedCount() + result.skippedCount()).isEqualTo(480);
  }

  @Test
  void allThreeFilesTogetherSummarizeAsPassedAndFailedCounts() {
    TestVectors.Result result =
        TestVectors.run(
            List.of(
                vectorFile("cacophony.txt"),
                vectorFile("snow.txt"),
                vectorFile("noise-c-basic.txt")));

    assertThat(result.failedCount()).isZero();
    assertThat(count(result.passed(), CORE)).isGreaterThanOrEqualTo(18);
    assertThat(result.summary()).isEqualTo(result.passedCount() + " passed, 0 failed");
    // Every fundamental and deferred pattern we implement shows up at least once.
    assertThat(result.passed())
        .anyMatch(n -> n.startsWith("Noise_N_"))
        .anyMatch(n -> n.startsWith("Noise_KK_"))
        .anyMatch(n -> n.startsWith("Noise_I1X1_"))
        .anyMatch(n -> n.startsWith("Noise_NX1_"));
  }

  @Test
  void unsupportedPrimitivesAreSkippedNotFailed() {
    TestVectors.Result result = TestVectors.run(List.of(vectorFile("cacophony.txt")));

    assertThat(result.skipped())
        .anyMatch(n -> n.endsWith("_BLAKE2s"))
        .anyMatch(n -> n.contains("_448_"));
    assertThat(result.passed()).noneMatch(n -> n.endsWith("_BLAKE2s") || n.endsWith("_BLAKE2b"));
  }

  @Test
  void aVectorFileThatIsNotStrictJsonIsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
    // What RFC 8259 forbids: trailing commas, comments, single quotes, leading zeros, raw control
    // characters, duplicate keys, trailing garbage.
    List<String> bads =
        List.of(
            "",
            "{\"vectors\": [],}",
            "{\"vectors\": [1,]}",
            "{'vectors': []}",
            "// c\n{\"vectors\": []}",
            "{\"vectors\": [01]}",
            "{\"vectors\": [\"\u0001\"]}",
            "{\"vectors\": [], \"vectors\": []}",
            "{\"vectors\": []} x",
            "{\"vectors\" []}");
    for (int i = 0; i < bads.size(); i++) {
      Path file = Files.writeString(dir.resolve("bad" + i + ".txt"), bads.get(i));
      assertThatThrownBy(() -> TestVectors.run(List.of(file)))
          .as(bads.get(i))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(file + ": ");
    }
  }

  @Test
  void aFileWithoutAVectorsArrayIsRefused(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("other.txt"), "{\"tests\": []}");

    assertThatThrownBy(() -> TestVectors.run(List.of(file)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ": expected {\"vectors\": [...]}");
  }

  @Test
  void deepNestingIsRefusedWithoutStackOverflow(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("deep.txt"), "[".repeat(100_000));

    assertThatThrownBy(() -> TestVectors.run(List.of(file)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(file + ": ");
  }
}
