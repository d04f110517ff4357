package dev.ett.cli;

import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "keygen",
    description =
        "Write a new X25519 key: FILE (mode 0600) and FILE.pub; print the public key (with --name,"
            + " the line for the server's authorized file).")
final class KeygenCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE")
  Path file;

  @Option(names = "--force", description = "Overwrite an existing key file.")
  boolean force;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description =
          "The client's name: FILE.pub then holds 'PUBKEY NAME', a line ready for the server's"
              + " authorized file (still readable as --server-key FILE).")
  String name;

  @Override
  public Integer call() throws Exception {
    KeyPair kp = X25519.generate();
    try {
      KeyFile.write(file, kp.privateKey(), kp.publicKey(), force, name);
    } finally {
      kp.destroy();
    }
    System.out.println(KeyFile.encode(kp.publicKey()) + (name == null ? "" : " " + name));
    return 0;
  }
}
