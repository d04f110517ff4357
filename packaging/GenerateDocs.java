import dev.ett.cli.Main;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes what the package installs beside the jar and that picocli can derive from ett's own
 * command tree, so that neither can drift from the options: the bash completion script (zsh loads
 * the same script through bashcompinit) and the man pages as AsciiDoc, one per command (ett.adoc,
 * ett-server.adoc, ...), which packaging/build.sh turns into roff with asciidoctor.
 *
 * <p>Run by packaging/build.sh with Java's source launcher, on the class path of the built jar and
 * picocli-codegen (copied to target/tools by the pom's dist profile):
 * {@code java -cp target/ett.jar:target/tools/picocli-codegen.jar packaging/GenerateDocs.java OUT}.
 */
public final class GenerateDocs {
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: GenerateDocs OUTDIR");
    }
    Path out = Path.of(args[0]);
    Files.createDirectories(out.resolve("man"));
    CommandLine ett = Main.commandLine();
    Files.writeString(out.resolve("ett.bash"), AutoComplete.bash("ett", ett), StandardCharsets.UTF_8);
    int status = ManPageGenerator.generateManPage(out.resolve("man").toFile(), null, new boolean[0], true, ett.getCommandSpec());
    if (status != 0) {
      throw new IllegalStateException("ManPageGenerator: exit status " + status);
    }
  }
}
