package dev.ett.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.ConfigException;
import dev.ett.config.HostsFile;
import dev.ett.config.PolicyFile;
import dev.ett.front.Users;
import dev.ett.policy.Policy;
import dev.ett.policy.PolicyParseException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: every file and flag an operator (or whoever can write those files) hands the
 * server or client parses or fails with the parser's own documented exception, which names the
 * place — never an unchecked surprise (NumberFormatException, StringIndexOutOfBounds, NPE) and
 * never a hang. Bytes are decoded as UTF-8, as the readers do.
 */
@Tag("fuzz")
class ConfigFuzzTest {
  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** {@code --policy} rule lists and per-client rules: {@link PolicyParseException}. */
  @FuzzTest
  void policyRules(@NotNull @WithLength(max = 4096) byte[] input) {
    try {
      for (var r : Policy.parse("fuzz", text(input)).rules()) {
        if (r.toString().isEmpty()) {
          throw new AssertionError("a rule with no text: " + r.text());
        }
      }
    } catch (PolicyParseException expected) {
      // documented
    }
  }

  /** {@code --authorized}: {@link ConfigException}. */
  @FuzzTest
  void authorizedFile(@NotNull @WithLength(max = 8192) byte[] input) {
    try {
      AuthorizedFile.parse("authorized", text(input));
    } catch (ConfigException expected) {
      // documented
    }
  }

  /** {@code --hosts}: {@link ConfigException}. */
  @FuzzTest
  void hostsFile(@NotNull @WithLength(max = 8192) byte[] input) {
    try {
      HostsFile.parse("hosts", text(input));
    } catch (ConfigException expected) {
      // documented
    }
  }

  /** {@code --policy-file}: {@link ConfigException}. */
  @FuzzTest
  void policyFile(@NotNull @WithLength(max = 8192) byte[] input) {
    try {
      PolicyFile.global(List.of(), "policy-file", text(input));
    } catch (ConfigException expected) {
      // documented
    }
  }

  /** {@code --users}: {@link IllegalArgumentException} naming the line. */
  @FuzzTest
  void usersFile(@NotNull @WithLength(max = 8192) byte[] input) {
    try {
      Users.parse("users", text(input));
    } catch (IllegalArgumentException expected) {
      if (expected.getMessage() == null || !expected.getMessage().startsWith("users:")) {
        throw new AssertionError(
            "error does not name the file and line: " + expected.getMessage(), expected);
      }
    }
  }
}
