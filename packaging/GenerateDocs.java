import dev.ett.cli.Main;
import java.nio.file.DirectoryStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    // Synopses on one line: the man page generator wraps them at the usage width, which can cut an
    // italic parameter label (_HOST:PORT_) in two; man wraps the roff text itself.
    ett.setUsageHelpWidth(10_000);
    Files.writeString(out.resolve("ett.bash"), AutoComplete.bash("ett", ett), StandardCharsets.UTF_8);
    int status = ManPageGenerator.generateManPage(out.resolve("man").toFile(), null, new boolean[0], true, ett.getCommandSpec());
    if (status != 0) {
      throw new IllegalStateException("ManPageGenerator: exit status " + status);
    }
    // Brackets inside an italic parameter label (_HOST[:PORT]_) read to asciidoctor as an
    // attribute list, and the option vanished from the synopsis: write them as the attributes
    // {startsb} and {endsb} instead.
    Pattern label = Pattern.compile("_[^_\\s]*\\[[^_\\s]*_");
    try (DirectoryStream<Path> pages = Files.newDirectoryStream(out.resolve("man"), "*.adoc")) {
      for (Path page : pages) {
        String text = Files.readString(page, StandardCharsets.UTF_8);
        String fixed =
            label.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group().replace("[", "{startsb}").replace("]", "{endsb}")));
        Files.writeString(page, fixed, StandardCharsets.UTF_8);
      }
    }
  }
}
