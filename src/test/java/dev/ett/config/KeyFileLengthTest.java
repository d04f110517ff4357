package dev.ett.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Goal of this test: 44 base64 characters whose last one is not '=' (they decode to 33 bytes) are
 * refused as a key with the parser's own error, not accepted and then rejected by KeyPair with an
 * IllegalArgumentException out of AuthorizedFile.parse (found by ConfigFuzzTest#authorizedFile).
 */
class KeyFileLengthTest {
  private static final String UNPADDED = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg5";

  @Test
  void fortyFourCharactersWithoutPaddingAreNotAKey() {
    assertThatThrownBy(() -> KeyFile.parsePublic(UNPADDED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("33 bytes");
  }

  @Test
  void anAuthorizedLineWithSuchAKeyIsAConfigError() {
    assertThatThrownBy(() -> AuthorizedFile.parse("authorized", UNPADDED + " alice\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("authorized:1: ");
  }
}
