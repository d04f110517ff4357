package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.cli.CliTest.Run;
import dev.ett.policy.AddressRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: --proxy-protocol and --proxy-from (flags and config-file keys) are checked
 * before the server starts: --proxy-from defaults to loopback, takes addresses and ranges, names a
 * bad one, and is an error without --proxy-protocol (a trusted balancer that is never asked for its
 * header would be a silent misconfiguration).
 */
class ProxyOptionsTest {
  @TempDir Path dir;

  @BeforeEach
  void keys() throws Exception {
    CliTest.run("keygen", dir.resolve("server.key").toString());
    String pub = CliTest.run("keygen", dir.resolve("client.key").toString()).out().trim();
    Files.writeString(dir.resolve("authorized"), pub + " alice\n");
  }

  @Test
  void proxyFromDefaultsToLoopbackAndTakesAddressesAndRanges() {
    assertThat(ServerCommand.proxySources(false, List.of())).isNull();
    assertThat(ServerCommand.proxySources(true, List.of()))
        .containsExactly(AddressRange.parse("127.0.0.0/8"), AddressRange.parse("::1/128"));
    assertThat(ServerCommand.proxySources(true, List.of("10.0.0.5", "fd00::/64")))
        .containsExactly(AddressRange.parse("10.0.0.5/32"), AddressRange.parse("fd00::/64"));
  }

  @Test
  void aBadProxyFromIsNamed() {
    assertThatThrownBy(() -> ServerCommand.proxySources(true, List.of("balancer.example")))
        .hasMessageStartingWith("--proxy-from: balancer.example (expected: an address or CIDR");
    assertThatThrownBy(() -> ServerCommand.proxySources(true, List.of("10.0.0.1/8")))
        .hasMessageStartingWith("--proxy-from: 10.0.0.1/8 (expected");
  }

  @Test
  void proxyFromWithoutProxyProtocolIsAnError() {
    assertThatThrownBy(() -> ServerCommand.proxySources(false, List.of("10.0.0.5")))
        .hasMessage("--proxy-from: 10.0.0.5 (expected: only with --proxy-protocol)");
  }

  @Test
  void theConfigFileTakesBothKeys() throws Exception {
    Path ok = server("proxy-protocol = true\nproxy-from = [\"10.0.0.5\", \"127.0.0.0/8\"]\n");
    Run r = CliTest.run("config", "check", ok.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.status()).isZero();

    Path without = server("proxy-from = [\"10.0.0.5\"]\n");
    Run w = CliTest.run("config", "check", without.toString());
    assertThat(w.status()).isEqualTo(1);
    assertThat(w.err())
        .isEqualTo(
            "ett: "
                + without
                + ":6: proxy-from: 10.0.0.5 (expected: only with --proxy-protocol)\n");
  }

  private Path server(String extra) throws Exception {
    return Files.writeString(
        dir.resolve("server.toml"),
        "role = \"server\"\nlisten = \"127.0.0.1:0\"\nkey = \"server.key\"\nauthorized = \"authorized\"\npolicy = [\"web\"]\n"
            + extra);
  }
}
