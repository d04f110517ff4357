package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProxySpecTest {
  @Test
  void bindDefaultsToLoopback() {
    assertThat(ProxySpec.parse("1080")).isEqualTo(new ProxySpec("127.0.0.1", 1080));
    assertThat(ProxySpec.parse("1080").loopbackOnly()).isTrue();
    assertThat(ProxySpec.parse("0.0.0.0:1080").loopbackOnly()).isFalse();
    assertThat(ProxySpec.parse("*:1080")).isEqualTo(new ProxySpec("*", 1080));
    assertThat(ProxySpec.parse("[::1]:1080")).isEqualTo(new ProxySpec("::1", 1080));
    assertThat(ProxySpec.parse("[::1]:1080").toString()).isEqualTo("[::1]:1080");
  }

  @Test
  void badSpecsSayWhy() {
    assertThatThrownBy(() -> ProxySpec.parse("a:b:c")).hasMessageContaining("expected [BIND:]PORT");
    assertThatThrownBy(() -> ProxySpec.parse("70000")).hasMessageContaining("port 70000");
    assertThatThrownBy(() -> ProxySpec.parse("x")).hasMessageContaining("port x");
  }
}
