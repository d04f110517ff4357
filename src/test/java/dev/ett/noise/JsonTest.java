package dev.ett.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Goal of this test: the vector-file JSON parser accepts RFC 8259 and nothing more. */
class JsonTest {
  @Test
  @SuppressWarnings("unchecked")
  void parsesAllValueKinds() {
    Object value =
        Json.parse(
            " {\"a\": [1, -2.5e3, true, false, null], \"b\": \"x\\u00e9\\n\\\"\", \"c\": {}} ");

    assertThat(value).isInstanceOf(Map.class);
    Map<?, ?> map = (Map<?, ?>) value;
    assertThat((List<Object>) map.get("a"))
        .containsExactly(new BigDecimal("1"), new BigDecimal("-2.5e3"), true, false, null);
    assertThat(map.get("b")).isEqualTo("x\u00e9\n\"");
    assertThat((Map<?, ?>) map.get("c")).isEmpty();
  }

  @Test
  void rejectsWhatStrictJsonForbids() {
    for (String bad :
        List.of(
            "",
            "[1,]",
            "{\"a\":1,}",
            "{'a':1}",
            "[01]",
            "[1.]",
            "[\"\u0001\"]",
            "{\"a\":1,\"a\":2}",
            "[1] x",
            "[tru]",
            "// c\n[]",
            "[\"\\x\"]",
            "{\"a\" 1}")) {
      assertThatThrownBy(() -> Json.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("JSON: ");
    }
  }

  @Test
  void deepNestingIsRefusedWithoutStackOverflow() {
    char[] open = new char[100_000];
    Arrays.fill(open, '[');

    assertThatThrownBy(() -> Json.parse(new String(open)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nesting");
  }
}
