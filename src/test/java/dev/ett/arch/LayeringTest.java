package dev.ett.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: the layering STYLE.md asks for stays true. Dependencies point one way (cli →
 * client/server → fronts/exit/audit → mux → link → wire/noise), and the pure cores know nothing of
 * Netty.
 */
class LayeringTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.ett");
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("dev.ett.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void pureCoresHaveNoNettyImports() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.ett.noise..", "dev.ett.policy..", "dev.ett.config..", "dev.ett.inspect..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.netty..")
        .check(classes);
  }

  @Test
  void systemdNotificationMessagesAreBuiltWithoutNetty() {
    // SdNotify is the pure half of systemd.Notifier: environment and message text, unit-tested
    // alone.
    noClasses()
        .that()
        .haveFullyQualifiedName("dev.ett.systemd.SdNotify")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.netty..")
        .check(classes);
  }

  @Test
  void auditTrailReadingIsPureAndKnowsNothingOfTheTunnel() {
    // ett audit trace/stats read other operators' files offline: plain Java and Jackson, tested on
    // lines written by hand, and nothing of the server they describe.
    noClasses()
        .that()
        .resideInAPackage("dev.ett.audit.trail..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.netty..",
            "dev.ett.server..",
            "dev.ett.client..",
            "dev.ett.mux..",
            "dev.ett.link..",
            "dev.ett.cli..")
        .check(classes);
  }

  @Test
  void firstBytesInspectionDependsOnTheJdkOnly() {
    // dev.ett.inspect parses bytes from outside; policy and exit may call it, it calls nothing of
    // ours.
    noClasses()
        .that()
        .resideInAPackage("dev.ett.inspect..")
        .should()
        .dependOnClassesThat()
        .resideOutsideOfPackages("dev.ett.inspect..", "java..")
        .check(classes);
  }

  @Test
  void metricsAreRegisteredInTheShellOnly() {
    // The Prometheus client is the CLI's business (cli/Metrics): the server, client, mux and cores
    // keep plain counts that it reads when scraped, and know nothing of how they are exposed.
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.ett.cli..")
        .and()
        .resideInAPackage("dev.ett..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.prometheus..")
        .check(classes);
  }

  @Test
  void lowerLayersDoNotReachUp() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.ett.noise..", "dev.ett.wire..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.ett.link..",
            "dev.ett.mux..",
            "dev.ett.client..",
            "dev.ett.server..",
            "dev.ett.front..")
        .check(classes);
    noClasses()
        .that()
        .resideInAnyPackage("dev.ett.link..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.ett.mux..",
            "dev.ett.client..",
            "dev.ett.server..",
            "dev.ett.front..",
            "dev.ett.exit..")
        .check(classes);
    noClasses()
        .that()
        .resideInAnyPackage("dev.ett.mux..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.ett.client..",
            "dev.ett.server..",
            "dev.ett.front..",
            "dev.ett.exit..",
            "dev.ett.cli..")
        .check(classes);
  }
}
